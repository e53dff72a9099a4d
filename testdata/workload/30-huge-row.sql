-- 30-huge-row.sql: binlog file 4 of the crc32-full variant (stored gzip-compressed as .gz).
-- One 17 MiB LONGBLOB row: its WRITE_ROWS event (~17.8 MB) and full-image UPDATE_ROWS event (~35.7 MB) are larger
-- than one 16 MiB client/server packet. Also values whose length needs the 3rd/4th byte of a MEDIUMBLOB/LONGBLOB length
-- (> 65535 bytes) and single rows larger than binlog_row_event_max_size.
SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
SET SESSION time_zone = '+00:00';
SET SESSION binlog_format = 'ROW';
SET SESSION binlog_row_image = 'FULL';
SET @@timestamp = 1700002000;
USE bv;
CREATE TABLE big (id INT PRIMARY KEY, payload LONGBLOB, tag VARCHAR(10), mt MEDIUMTEXT) ENGINE=InnoDB;
INSERT INTO big VALUES (1, REPEAT(X'0123456789ABCDEF', 17 * 1024 * 1024 DIV 8 + 1), 'v1', 'small');
UPDATE big SET tag = 'v2' WHERE id = 1;
DELETE FROM big WHERE id = 1;
INSERT INTO big VALUES (2, REPEAT(X'A5', 70000), 'mid', REPEAT('ü', 40000));
INSERT INTO strs (id, mt, lt, mb, lb) VALUES (200, REPEAT('M', 70000), REPEAT('L', 100000), REPEAT(X'12', 70000), REPEAT(X'34', 100000));
UPDATE strs SET mt = CONCAT(mt, '!') WHERE id = 200;
