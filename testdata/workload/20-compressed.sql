-- 20-compressed.sql: binlog file 2 of every variant, written with log_bin_compress=ON:
-- QUERY_COMPRESSED (165) and WRITE/UPDATE/DELETE_ROWS_COMPRESSED_V1 (166/167/168) events, plus events under
-- log_bin_compress_min_len (256 bytes) that stay uncompressed.
SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
SET SESSION time_zone = '+00:00';
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';
SET SESSION binlog_format = 'ROW';
SET @@timestamp = 1700001000;
USE bv;
SET GLOBAL log_bin_compress = ON;
CREATE TABLE comp (id INT PRIMARY KEY, txt TEXT, note VARCHAR(300), n DECIMAL(20,5), ts TIMESTAMP(6) NULL, b BLOB) ENGINE=InnoDB
  COMMENT='a table comment long enough to push this CREATE TABLE statement past log_bin_compress_min_len (256 bytes of query text) so that the server writes it as a QUERY_COMPRESSED event (type 165) instead of a plain QUERY event';
INSERT INTO comp VALUES
  (1, REPEAT('compress me ', 100), 'first 😀', -123456789012345.12345, '2024-02-29 23:59:59.123456', REPEAT(X'00FF', 200)),
  (2, REPEAT('again ', 200), 'second', 0.00001, NULL, NULL),
  (3, NULL, NULL, NULL, NULL, X'');
UPDATE comp SET txt = REPEAT('updated ', 100), n = -n WHERE id = 1;
DELETE FROM comp WHERE id = 2;
INSERT INTO comp (id, txt, note) VALUES (4, 'short', 'row event under the min length');
SET SESSION binlog_row_image = 'MINIMAL';
UPDATE comp SET note = REPEAT('minimal image, compressed ', 20) WHERE id = 3;
SET SESSION binlog_row_image = 'FULL';
UPDATE ints SET added = REPEAT('z', 10), bi = -42, biu = 18446744073709551615 WHERE i IS NOT NULL;
UPDATE strs SET t = REPEAT('compressed text row ', 30) WHERE id = 1;
DELETE FROM bulk WHERE id <= 100;
SET SESSION binlog_format = 'STATEMENT';
INSERT INTO comp (id, txt, note) VALUES (5, 'statement-based INSERT whose query text is longer than log_bin_compress_min_len (256 bytes), so it is logged as QUERY_COMPRESSED: lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua', 'stmt');
INSERT INTO comp (id, txt, note) VALUES (6, 'short stmt', 'stmt');
SET SESSION binlog_format = 'ROW';
XA START 'xa-comp';
INSERT INTO comp (id, txt) VALUES (7, REPEAT('xa compressed ', 30));
XA END 'xa-comp';
XA PREPARE 'xa-comp';
XA COMMIT 'xa-comp';
SET GLOBAL log_bin_compress = OFF;
