"""The SQL of the read side (读模型表): one module per read model, all tables of one generation's schema.

- `facts.py`: every event of the four topics, recorded once (the base of everything else)
- `closure.py`: the problems (`issues`) and the closure figures read from them and their state history
- `case_history.py`: the `case_history` table, kept as the fold of each case's facts (`case_history_of` in
  read_models.sql, the rule of `domain.py`)
- `enforcement.py`: enforcement cases, penalties, payments and actions, and the figures by year
- `accountability.py`: escalations, measures and revocations, and the tally
- `timeline.py`: every fact of one issue, in time order
- `sql.py`: building parameterised SQL
"""
