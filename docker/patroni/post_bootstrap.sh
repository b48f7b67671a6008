#!/bin/sh
# Patroni runs this once, on the node that bootstraps the cluster, with a superuser connection
# URL as $1: the application role and database with PostGIS and pgRouting (what
# `rescuecircle db init` and `rescuecircle ha start` do), which the standby then replicates.
set -eu
psql "$1" -v ON_ERROR_STOP=1 -v password="$RC_DB_PASSWORD" <<'SQL'
CREATE ROLE rescuecircle LOGIN CREATEDB PASSWORD :'password';
CREATE DATABASE rescuecircle OWNER rescuecircle;
\connect rescuecircle
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgrouting CASCADE;
SQL
