-- Runs once, when the compose stack's PostgreSQL volume is new: one role and
-- database for cardflow, one role for Temporal (its schema job creates the
-- temporal and temporal_visibility databases).
CREATE ROLE cardflow LOGIN PASSWORD 'cardflow';
CREATE DATABASE cards OWNER cardflow;
CREATE ROLE temporal LOGIN CREATEDB PASSWORD 'temporal';
