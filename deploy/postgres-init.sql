-- One PostgreSQL for the compose stack: doorflow's own database (POSTGRES_DB, owned by POSTGRES_USER)
-- plus the Operaton engine's database, which both engine nodes share. The postgres image runs this
-- once, on an empty data directory (docker-entrypoint-initdb.d), with psql. The operaton role's
-- password comes from the container's environment variable OPERATON_DB_PASSWORD (psql \getenv,
-- PostgreSQL 15+), so it is not written here; docker-compose.yml passes it in.
\getenv operaton_password OPERATON_DB_PASSWORD
\if :{?operaton_password}
\else
  DO $$ BEGIN RAISE EXCEPTION 'postgres-init.sql: OPERATON_DB_PASSWORD (password of the operaton role) is not set'; END $$;
\endif
CREATE ROLE operaton LOGIN PASSWORD :'operaton_password';
CREATE DATABASE operaton OWNER operaton;
REVOKE ALL ON DATABASE operaton FROM PUBLIC;
