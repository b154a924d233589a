-- The responsible unit (责任单位) each issue's case is assigned to now, as cases.events tells it: a unit
-- token reads only the reports and photos of its own cases (shared.scope). Issues assigned before this
-- column existed get theirs on intake's next start (services/intake/case_units.py) or the case's next 交办.
alter table issue_index add column case_unit text;
