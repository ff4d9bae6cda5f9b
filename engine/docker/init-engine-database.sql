-- Run once by the postgres image on an empty volume: the engine keeps its tables in a database of its own.
CREATE DATABASE contact_center_engine OWNER contact_center;
