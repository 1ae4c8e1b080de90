-- Runs once, when the compose stack's PostgreSQL volume is new: for cardflow
-- an owner role and its database (`worker migrate` runs as it) and the
-- application role the worker and the starter use (migrate grants it only
-- what they need: schema/grants.sql); one role for Temporal (its schema job
-- creates the temporal and temporal_visibility databases); the CA's
-- certificate store, owned by the role `cfssl serve` and `cfssl ocspserve`
-- connect as (the ca-certdb service applies its schema, deploy/ca/certdb.sql,
-- and creates both again when a volume made before the CA lacks them).
CREATE ROLE cardflow LOGIN PASSWORD 'cardflow';
CREATE DATABASE cards OWNER cardflow;
CREATE ROLE cardflow_app LOGIN PASSWORD 'cardflow_app';
CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal';
CREATE ROLE cfssl LOGIN PASSWORD 'cfssl';
CREATE DATABASE cards_ca OWNER cfssl;
