/**
 * How the hub reads PostgreSQL's values, for every pg client in the process
 * (pg's parsers are global). Imported by whatever opens or is handed a pool:
 * ids are compared as numbers (a client's organisation with an agreement's
 * parties), and an application built on a pool read with pg's defaults (int8
 * as text) answered every citizen read with 404.
 */
import pg from 'pg';

// int8 columns (UPRNs, ids) fit in a double; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// Dates stay ISO strings: a date of birth has no time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);
