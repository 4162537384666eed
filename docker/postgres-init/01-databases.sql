-- Run once by the postgres image on an empty data directory: emarket's three databases.
-- Their schemas come from the one-shot `migrate` service (`emarket db upgrade`).
CREATE DATABASE account;
CREATE DATABASE emarket;
CREATE DATABASE bank;
