-- Which version of read_models.sql built each generation (generations.VERSION). A service rebuilds an active
-- generation of a lower version by itself; generations made before this column are version 0.
alter table read_model_generations add column version integer not null default 0;
