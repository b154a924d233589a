-- The responsible unit (责任单位) each issue's case is assigned to now, as cases.events tells it: a unit
-- token reads only the reports and photos of its own cases (shared.scope). Issues assigned before this
-- column existed show to their unit from the case's next 交办 or 重新交办 on; every other role sees them as before.
alter table issue_index add column case_unit text;
