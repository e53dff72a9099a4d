-- 25-column-compression.sql: binlog file 3 of every variant. MariaDB column compression in its own file, so that
-- a decoder that cannot handle it still gets every other value of file 1 compared.
SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
SET SESSION time_zone = '+00:00';
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';
SET SESSION binlog_format = 'ROW';
SET SESSION binlog_row_image = 'FULL';
SET @@timestamp = 1700000500;
USE bv;

-- MariaDB COMPRESSED columns (VARCHAR/VARBINARY/TEXT/BLOB ... COMPRESSED)
-- logged as MYSQL_TYPE_VARCHAR_COMPRESSED (140) / MYSQL_TYPE_BLOB_COMPRESSED (141); values carry the
-- compression header byte (0x00 = stored, else zlib); mariadb-binlog prints the raw stored bytes.
CREATE TABLE zcols (
  id INT PRIMARY KEY,
  vc VARCHAR(1000) COMPRESSED,
  vb VARBINARY(300) COMPRESSED,
  t  TEXT COMPRESSED,
  b  BLOB COMPRESSED,
  lb LONGBLOB COMPRESSED
) ENGINE=InnoDB;
INSERT INTO zcols VALUES
  (1, REPEAT('compressible ', 40), REPEAT('z', 200), 'short stays stored', REPEAT('b', 500), REPEAT(X'00FF', 300)),
  (2, 'x', 'y', '', X'', NULL),
  (3, NULL, NULL, NULL, NULL, X'01');
UPDATE zcols SET t = REPEAT('now long enough to be compressed ', 10) WHERE id = 1;
DELETE FROM zcols WHERE id = 2;
SET SESSION binlog_row_image = 'MINIMAL';
UPDATE zcols SET vb = 'minimal' WHERE id = 3;
SET SESSION binlog_row_image = 'FULL';
