-- One PostgreSQL for the stack: doorflow's own database (POSTGRES_DB) plus Camunda's secondary storage.
CREATE USER camunda WITH PASSWORD 'camunda';
CREATE DATABASE camunda OWNER camunda;
