//! Tests of value decoding. Expected values are worked out by hand from the format
//! descriptions, taken from SQL statements and tables of the binlogs' provenance, or computed
//! independently; never produced by the code under test.
