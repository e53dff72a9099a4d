-- 10-types.sql: every MariaDB 10.11 column type, DML over them, row images, transactions, XA,
-- statement-format events. Binlog file 1 of every variant. Run by ../generate.sh with the client's
-- working directory set to this folder (for LOAD DATA LOCAL INFILE 'load-data.csv').
-- Data must never contain a backslash followed by 'x' and two hex digits: mariadb-binlog prints
-- bytes >= 0x20 (including ' and \) raw and only escapes control bytes as \xNN, so that would be ambiguous.

SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci;
SET SESSION time_zone = '+00:00';
SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';   -- permissive: zero dates allowed
SET SESSION binlog_format = 'ROW';
SET SESSION binlog_row_image = 'FULL';
SET @@timestamp = 1700000000.123456;               -- makes NOW()/CURRENT_TIMESTAMP deterministic

CREATE DATABASE bv CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
USE bv;

-- ---------------------------------------------------------------- integers
CREATE TABLE ints (
  id  INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  ti  TINYINT,   tiu TINYINT UNSIGNED,
  si  SMALLINT,  siu SMALLINT UNSIGNED,
  mi  MEDIUMINT, miu MEDIUMINT UNSIGNED,
  i   INT,       iu  INT UNSIGNED,
  bi  BIGINT,    biu BIGINT UNSIGNED,
  bo  BOOLEAN,
  zf  INT(8) UNSIGNED ZEROFILL
) ENGINE=InnoDB;
INSERT INTO ints (ti,tiu,si,siu,mi,miu,i,iu,bi,biu,bo,zf) VALUES
  (-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0,FALSE,0),
  (127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807,18446744073709551615,TRUE,4294967295),
  (-1,128,-1,32768,-1,8388608,-1,2147483648,-1,9223372036854775808,NULL,42),
  (0,1,256,257,65536,65537,16777216,16777217,4294967296,4294967297,2,1),
  (NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL);
UPDATE ints SET ti = ti - 1, tiu = tiu - 1, biu = biu - 1, bi = bi - 1 WHERE id = 2;
UPDATE ints SET ti = 5, iu = NULL WHERE id = 5;
DELETE FROM ints WHERE id = 3;

-- ---------------------------------------------------------------- fixed and floating point, BIT
CREATE TABLE nums (
  id   INT PRIMARY KEY,
  d1   DECIMAL(10,2),
  d2   DECIMAL(65,30),
  d3   DECIMAL(5,0),
  d3u  DECIMAL(5,0) UNSIGNED,
  d4   DECIMAL(18,9),
  d5   DECIMAL(4,4),
  d6   DECIMAL(65,0),
  d7   DECIMAL(19,10),
  d8   DECIMAL(1,0),
  f    FLOAT,
  fu   FLOAT UNSIGNED,
  dbl  DOUBLE,
  dp   DOUBLE(10,3),
  b1   BIT(1),
  b8   BIT(8),
  b13  BIT(13),
  b64  BIT(64)
) ENGINE=InnoDB;
INSERT INTO nums VALUES
  (1, 12345678.90, -12345678901234567890.123456789012345678901234567890, -99999, 99999, -123456789.123456789, 0.9999,
      99999999999999999999999999999999999999999999999999999999999999999, 123456789.0123456789, 9,
      3.14159, 1.5, 2.718281828459045, 1234567.891,
      b'1', b'10000001', b'1010101010101', b'1111111111111111111111111111111111111111111111111111111111111111'),
  (2, -0.01, 0.000000000000000000000000000001, 0, 0, 0.5, -0.0001,
      -99999999999999999999999999999999999999999999999999999999999999999, -0.0000000001, -9,
      -1.5e-38, 0, 1.7976931348623157e308, -0.001,
      b'0', b'0', b'0', b'0'),
  (3, 0, 99999999999999999999999999999999999.999999999999999999999999999999, 1, 1, 999999999.999999999, -0.9999,
      0, -999999999.9999999999, 0,
      3.4028234e38, 3.4028234e38, -2.2250738585072014e-308, 0,
      b'1', b'11111111', b'1111111111111', b'1000000000000000000000000000000000000000000000000000000000000000'),
  (4, -12.34, -1.5, 12, 12, -0.000000001, 0.0001, 1, 1, 1,
      -123.456, 0.001, 4.9e-324, 1e9,
      NULL, b'1', b'0000000000001', b'0000000000000000000000000000000000000000000000000000000000000001'),
  (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE nums SET d1 = d1 * 2, f = f / 2, dbl = -dbl, d2 = -d2 WHERE id = 1;
UPDATE nums SET d5 = NULL, b64 = b'1010' WHERE id = 4;

-- ---------------------------------------------------------------- strings: text charsets, binary, TEXT/BLOB
CREATE TABLE strs (
  id    INT PRIMARY KEY,
  c     CHAR(10),
  c255  CHAR(255),
  cl1   CHAR(20) CHARACTER SET latin1,
  vc    VARCHAR(100),
  vcl1  VARCHAR(300) CHARACTER SET latin1,
  vcbig VARCHAR(400),
  vca   VARCHAR(50) CHARACTER SET ascii,
  bn    BINARY(4),
  vb    VARBINARY(20),
  vb300 VARBINARY(300),
  tt    TINYTEXT,
  t     TEXT,
  mt    MEDIUMTEXT,
  lt    LONGTEXT,
  tb    TINYBLOB,
  bl    BLOB,
  mb    MEDIUMBLOB,
  lb    LONGBLOB,
  tl1   TEXT CHARACTER SET latin1
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
INSERT INTO strs VALUES
  (1, 'abc', 'padded  ', 'Grüße ÿ', 'héllo wörld 你好 😀', 'café latin1 ÿ ½', REPEAT('x', 390), 'plain ascii',
      X'00FF7F80', X'DEADBEEF00', REPEAT(X'00', 300), 'tiny', 'text 😀 中文', 'medium', 'long',
      X'01', X'0203', X'040506', X'0708090A', 'latin1 text ©'),
  (2, '', '', '', '', '', '', '', X'00000000', X'', X'', '', '', '', '', X'', X'', X'', X'', ''),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 'ÄÖÜ', REPEAT('é', 255), 'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓ', REPEAT('😀', 100), REPEAT('z', 300), REPEAT('ñ', 400), REPEAT('a', 50),
      'abcd', REPEAT(X'AB', 20), REPEAT(X'FE', 300), REPEAT('t', 255), REPEAT('丁', 1000), REPEAT('M', 3000), REPEAT('L', 4000),
      REPEAT(X'CD', 255), REPEAT(X'EF', 600), REPEAT(X'12', 700), REPEAT(X'34', 800), REPEAT('é', 300)),
  (5, 'it''s', 'quote '' and backslash \\ here', 'tab\there', 'new\nline\r\n', 'ctrl \0 nul', 'comment /* x */ -- y', '"dq"',
      X'27275C00', X'5C5C', X'0A0D09', '\'', '\\', 'a\\b', 'emoji 🏳️‍🌈 zwj',
      X'5C', X'27', X'2F2A', X'0A', 'trailing space   '),
  (6, '  lead', REPEAT('😀', 255), 'x', '𝄞 (U+1D11E)', 'ÿ', '', '', X'20202020', X'20', X'00', ' ', '  ', '   ', '    ',
      X'20', X'2020', X'00', X'0000', ' ');
UPDATE strs SET vc = CONCAT(vc, ' ✓'), bl = X'FFFF', c = 'upd' WHERE id = 1;
UPDATE strs SET t = NULL, lb = X'00' WHERE id = 4;
DELETE FROM strs WHERE id = 2;

-- ---------------------------------------------------------------- temporal
CREATE TABLE times (
  id   INT PRIMARY KEY,
  d    DATE,
  t    TIME,
  t1   TIME(1),
  t3   TIME(3),
  t6   TIME(6),
  dt   DATETIME,
  dt2  DATETIME(2),
  dt3  DATETIME(3),
  dt6  DATETIME(6),
  ts   TIMESTAMP NULL DEFAULT NULL,
  ts3  TIMESTAMP(3) NULL DEFAULT NULL,
  ts6  TIMESTAMP(6) NULL DEFAULT NULL,
  y    YEAR
) ENGINE=InnoDB;
INSERT INTO times VALUES
  (1, '2024-02-29', '12:34:56', '-00:00:00.5', '-01:02:03.456', '838:59:59.000000', '2024-02-29 23:59:59', '2024-02-29 23:59:59.99',
      '2024-02-29 23:59:59.001', '2024-02-29 23:59:59.999999', '2024-02-29 23:59:59', '2024-02-29 23:59:59.100', '2024-02-29 23:59:59.123456', 2024),
  (2, '1000-01-01', '-838:59:59', '838:59:59.9', '00:00:00.001', '-00:00:00.000001', '1000-01-01 00:00:00', '1000-01-01 00:00:00.01',
      '1000-01-01 00:00:00.000', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:01', '1970-01-01 00:00:01.001', '2038-01-19 03:14:07.999999', 1901),
  (3, '0000-00-00', '00:00:00', '00:00:00.0', '00:00:00.000', '00:00:00.000000', '0000-00-00 00:00:00', '0000-00-00 00:00:00.00',
      '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000', '0000-00-00 00:00:00.000000', 0),
  (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 2155),
  (5, '9999-12-31', '23:59:59', '-838:59:59.9', '23:59:59.999', '-838:59:59.000000', NOW(), NOW(2), NOW(3), NOW(6), NOW(), NOW(3), NOW(6), NULL),
  (6, '2000-01-01', '-00:00:01', '00:00:00.1', '-00:00:00.001', '00:00:00.000001', '2000-01-01 00:00:00', '2000-01-01 00:00:00.50',
      '2000-01-01 00:00:00.005', '2000-01-01 00:00:00.000001', '2000-01-01 00:00:00', '2000-01-01 00:00:00.001', '2000-01-01 00:00:00.000001', 2000),
  (7, '2024-00-00', '100:00:00', '-100:00:00.1', '-12:00:00.500', '-00:59:59.999999', '2024-00-00 00:00:00', '1999-12-31 23:59:59.99',
      '2038-01-19 03:14:08.000', '0001-01-01 00:00:00.000000', '2038-01-19 03:14:07', '1999-12-31 23:59:59.999', '1970-01-01 00:00:01.000000', 1970);
UPDATE times SET t6 = '01:02:03.000004', ts6 = '2001-09-09 01:46:40.5', d = '2001-09-09' WHERE id = 1;

-- every fractional-second precision (storage: fsp 1-2 -> 1 byte, 3-4 -> 2 bytes, 5-6 -> 3 bytes), odd ones
-- included, with negative TIMEs whose fraction borrows from the seconds
CREATE TABLE times_fsp (
  id INT PRIMARY KEY,
  t2 TIME(2), t4 TIME(4), t5 TIME(5),
  dt1 DATETIME(1), dt4 DATETIME(4), dt5 DATETIME(5),
  ts1 TIMESTAMP(1) NULL DEFAULT NULL, ts2 TIMESTAMP(2) NULL DEFAULT NULL,
  ts4 TIMESTAMP(4) NULL DEFAULT NULL, ts5 TIMESTAMP(5) NULL DEFAULT NULL
) ENGINE=InnoDB;
INSERT INTO times_fsp VALUES
  (1, '-00:00:00.01', '-00:00:00.0001', '-00:00:00.00001', '2024-02-29 23:59:59.9', '2024-02-29 23:59:59.9999',
      '2024-02-29 23:59:59.99999', '2024-02-29 23:59:59.9', '2024-02-29 23:59:59.99', '2024-02-29 23:59:59.9999',
      '2024-02-29 23:59:59.99999'),
  (2, '-838:59:58.99', '-838:59:58.9999', '-838:59:58.99999', '1000-01-01 00:00:00.1', '1000-01-01 00:00:00.0001',
      '1000-01-01 00:00:00.00001', '1970-01-01 00:00:01.1', '1970-01-01 00:00:01.01', '1970-01-01 00:00:01.0001',
      '1970-01-01 00:00:01.00001'),
  (3, '12:34:56.5', '-12:34:56.5', '-01:00:00.10001', '0000-00-00 00:00:00.0', '0000-00-00 00:00:00.0000',
      '0000-00-00 00:00:00.00000', '0000-00-00 00:00:00.0', '0000-00-00 00:00:00.00', '0000-00-00 00:00:00.0000',
      '0000-00-00 00:00:00.00000'),
  (4, '838:59:59.99', '-00:00:01.5', '00:00:00.00001', NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- DECIMAL digit-group boundaries (9 digits per 4 bytes, leftover digits in 1-4 bytes)
CREATE TABLE dec_zoo (
  id INT PRIMARY KEY,
  a DECIMAL(9,0), b DECIMAL(10,0), c DECIMAL(18,0), d DECIMAL(19,0), e DECIMAL(2,1), f DECIMAL(9,9),
  g DECIMAL(10,9), h DECIMAL(30,10), i DECIMAL(12,3) UNSIGNED, j DECIMAL(38,19), k DECIMAL(3,2), l DECIMAL(27,18)
) ENGINE=InnoDB;
INSERT INTO dec_zoo VALUES
  (1, 999999999, 9999999999, 999999999999999999, 9999999999999999999, 9.9, 0.999999999, 9.999999999,
      99999999999999999999.9999999999, 999999999.999, 9999999999999999999.9999999999999999999, 9.99,
      999999999.999999999999999999),
  (2, -999999999, -9999999999, -999999999999999999, -9999999999999999999, -9.9, -0.999999999, -9.999999999,
      -99999999999999999999.9999999999, 0, -9999999999999999999.9999999999999999999, -9.99,
      -999999999.999999999999999999),
  (3, 1, -1, 100000000, -1000000000, 0.1, 0.000000001, -0.000000001, 0.0000000001, 0.001,
      -0.0000000000000000001, -0.01, 0.000000000000000001),
  (4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
  (5, 123456789, -123456789, 12345678901234567, -1234567890123456789, -1.2, 0.123456789, -1.234567891,
      -12345678901234567890.0123456789, 123456789.123, 1234567890123456789.0123456789012345678, 1.23,
      -123456789.012345678901234567);

-- Old (pre-MariaDB-10.1 / pre-MySQL-5.6) temporal formats as found in upgraded data directories:
-- MYSQL_TYPE_TIME / DATETIME / TIMESTAMP (types 11/12/7). Only fsp 0: mariadb-binlog 10.11 cannot decode the
-- old MariaDB 5.3 hires formats (it stops with an error), so they cannot be checked against the oracle.
SET GLOBAL mysql56_temporal_format = OFF;
CREATE TABLE times_old (id INT PRIMARY KEY, t TIME, dt DATETIME, ts TIMESTAMP NULL DEFAULT NULL) ENGINE=InnoDB;
SET GLOBAL mysql56_temporal_format = ON;
INSERT INTO times_old VALUES
  (1, '-12:34:56', '2024-02-29 23:59:59', '2024-02-29 23:59:59'),
  (2, '838:59:59', '1000-01-01 00:00:00', '1970-01-01 00:00:01'),
  (3, '-838:59:59', '0000-00-00 00:00:00', '0000-00-00 00:00:00'),
  (4, NULL, NULL, NULL);
UPDATE times_old SET t = '00:00:01' WHERE id = 1;

-- ---------------------------------------------------------------- ENUM / SET (1..8 bytes), JSON, spatial
SET SESSION group_concat_max_len = 1000000;
SELECT CONCAT('CREATE TABLE enum_wide (id INT PRIMARY KEY, e ENUM(',
              GROUP_CONCAT(CONCAT('''v', seq, '''') ORDER BY seq), ')) ENGINE=InnoDB')
  INTO @ddl FROM seq_1_to_300;
PREPARE s FROM @ddl; EXECUTE s; DEALLOCATE PREPARE s;
SELECT CONCAT('CREATE TABLE set_wide (id INT PRIMARY KEY, s2 SET(',
              GROUP_CONCAT(CONCAT('''a', seq, '''') ORDER BY seq), '), s8 SET(',
              (SELECT GROUP_CONCAT(CONCAT('''m', seq, '''') ORDER BY seq) FROM seq_1_to_64),
              ')) ENGINE=InnoDB')
  INTO @ddl FROM seq_1_to_12;
PREPARE s FROM @ddl; EXECUTE s; DEALLOCATE PREPARE s;
SELECT CONCAT('CREATE TABLE set_3_4 (id INT PRIMARY KEY, s3 SET(',
              GROUP_CONCAT(CONCAT('''b', seq, '''') ORDER BY seq), '), s4 SET(',
              (SELECT GROUP_CONCAT(CONCAT('''c', seq, '''') ORDER BY seq) FROM seq_1_to_32),
              ')) ENGINE=InnoDB')
  INTO @ddl FROM seq_1_to_20;
PREPARE s FROM @ddl; EXECUTE s; DEALLOCATE PREPARE s;
INSERT INTO enum_wide VALUES (1, 'v1'), (2, 'v256'), (3, 'v300'), (4, NULL), (5, '');
INSERT INTO set_wide VALUES (1, 'a1', 'm1'), (2, 'a1,a9,a12', 'm1,m9,m17,m33,m64'), (3, '', ''), (4, NULL, NULL),
  (5, 'a12', 'm64'), (6, 'a1,a2,a3,a4,a5,a6,a7,a8,a9,a10,a11,a12',
   'm1,m2,m3,m4,m5,m6,m7,m8,m9,m10,m11,m12,m13,m14,m15,m16,m17,m18,m19,m20,m21,m22,m23,m24,m25,m26,m27,m28,m29,m30,m31,m32,m33,m34,m35,m36,m37,m38,m39,m40,m41,m42,m43,m44,m45,m46,m47,m48,m49,m50,m51,m52,m53,m54,m55,m56,m57,m58,m59,m60,m61,m62,m63,m64');
INSERT INTO set_3_4 VALUES (1, 'b1,b20', 'c1,c32'), (2, 'b17', 'c25'), (3, NULL, '');

CREATE TABLE misc (
  id   INT PRIMARY KEY,
  e    ENUM('small','medium','large'),
  s    SET('red','green','blue'),
  j    JSON,
  g    GEOMETRY,
  pt   POINT,
  ls   LINESTRING,
  poly POLYGON,
  mpt  MULTIPOINT,
  mls  MULTILINESTRING,
  mpl  MULTIPOLYGON,
  gc   GEOMETRYCOLLECTION
) ENGINE=InnoDB;
INSERT INTO misc VALUES
  (1, 'small', 'red,blue', '{"a": 1, "b": [true, false, null], "c": {"d": "é😀"}, "e": 1.5e300, "q": "it''s \\"x\\""}',
      ST_GeomFromText('LINESTRING(0 0, 1 1, 2 -1.5)'), ST_PointFromText('POINT(1.25 -2.5)'),
      ST_GeomFromText('LINESTRING(0 0, 10 10)'),
      ST_GeomFromText('POLYGON((0 0, 10 0, 10 10, 0 10, 0 0), (2 2, 3 2, 3 3, 2 2))'),
      ST_GeomFromText('MULTIPOINT(1 1, 2 2)'), ST_GeomFromText('MULTILINESTRING((0 0, 1 1), (2 2, 3 3))'),
      ST_GeomFromText('MULTIPOLYGON(((0 0, 1 0, 1 1, 0 0)))'),
      ST_GeomFromText('GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))')),
  (2, 'large', '', '[]', ST_GeomFromText('POINT(0 0)', 4326), ST_PointFromText('POINT(0 0)'), NULL, NULL, NULL, NULL, NULL, NULL),
  (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (4, 'medium', 'red,green,blue', '"just a string"', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (5, '', NULL, '123', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
UPDATE misc SET j = JSON_SET(j, '$.a', 2, '$.new', 'x'), s = 'green', pt = ST_PointFromText('POINT(-1 1e10)') WHERE id = 1;
DELETE FROM misc WHERE id = 2;

-- ---------------------------------------------------------------- UUID / INET6 / INET4 (10.11 data type plugins)
CREATE TABLE addr (id INT PRIMARY KEY, u UUID, i6 INET6, i4 INET4) ENGINE=InnoDB;
INSERT INTO addr VALUES
  (1, '123e4567-e89b-12d3-a456-426655440000', '2001:db8::ff00:42:8329', '192.168.1.1'),
  (2, '00000000-0000-0000-0000-000000000000', '::', '0.0.0.0'),
  (3, 'ffffffff-ffff-ffff-ffff-ffffffffffff', '::ffff:1.2.3.4', '255.255.255.255'),
  (4, NULL, NULL, NULL);
UPDATE addr SET i4 = '10.0.0.1' WHERE id = 1;

-- ---------------------------------------------------------------- generated columns, sequences, wide table
CREATE TABLE gen (id INT PRIMARY KEY, a INT, v INT AS (a * 2) VIRTUAL, s INT AS (a * 3) STORED,
                  vt VARCHAR(20) AS (CONCAT('q', a)) VIRTUAL) ENGINE=InnoDB;
INSERT INTO gen (id, a) VALUES (1, 5), (2, NULL);
UPDATE gen SET a = 6 WHERE id = 1;

CREATE SEQUENCE seq1 START WITH 100 INCREMENT BY 10 CACHE 2;
SELECT NEXTVAL(seq1), NEXTVAL(seq1), NEXTVAL(seq1);
SELECT SETVAL(seq1, 5000);

SELECT CONCAT('CREATE TABLE wide (id INT PRIMARY KEY, ',
              GROUP_CONCAT(CONCAT('c', seq, ' TINYINT') ORDER BY seq), ') ENGINE=InnoDB')
  INTO @ddl FROM seq_1_to_300;
PREPARE s FROM @ddl; EXECUTE s; DEALLOCATE PREPARE s;
INSERT INTO wide (id, c1, c2, c100, c255, c256, c300) VALUES (1, 1, -1, 100, 127, -128, 3);
UPDATE wide SET c150 = 42, c300 = NULL WHERE id = 1;

-- ---------------------------------------------------------------- many rows in one statement (several rows events)
CREATE TABLE bulk (id INT PRIMARY KEY, v VARCHAR(64), n BIGINT) ENGINE=InnoDB;
INSERT INTO bulk SELECT seq, CONCAT('row-', seq, '-', REPEAT('p', seq MOD 40)), seq * 1000003 FROM seq_1_to_500;
UPDATE bulk SET n = -n WHERE id MOD 7 = 0;
DELETE FROM bulk WHERE id > 450;

-- ---------------------------------------------------------------- no primary key; multi-table DML; upserts
CREATE TABLE nopk (a INT, b VARCHAR(20), c TEXT) ENGINE=InnoDB;
INSERT INTO nopk VALUES (1, 'one', 'uno'), (1, 'one', 'uno'), (2, 'two', NULL);
UPDATE nopk SET b = 'ONE' WHERE a = 1;
UPDATE nopk n JOIN ints i ON i.id = 1 SET n.c = 'joined', i.si = 7 WHERE n.a = 2;
DELETE n, b FROM nopk n JOIN bulk b ON b.id = 3 WHERE n.a = 2;
INSERT INTO nums (id, d1) VALUES (4, 1.00) ON DUPLICATE KEY UPDATE d1 = 44.44;
REPLACE INTO nums (id, d1, f) VALUES (1, 1.11, 1.25);
INSERT IGNORE INTO nums (id) VALUES (1), (6);

-- ---------------------------------------------------------------- row images
SET SESSION binlog_row_image = 'MINIMAL';
UPDATE ints SET tiu = 7 WHERE id = 1;
UPDATE strs SET tt = 'minimal', bl = X'AA' WHERE id = 4;
DELETE FROM nums WHERE id = 5;
INSERT INTO nopk (a) VALUES (9);
UPDATE nopk SET c = 'no pk minimal' WHERE a = 9;
SET SESSION binlog_row_image = 'NOBLOB';
UPDATE strs SET c = 'noblob' WHERE id = 1;
UPDATE strs SET bl = X'BB' WHERE id = 1;
DELETE FROM strs WHERE id = 6;
INSERT INTO strs (id, c) VALUES (7, 'nb');
SET SESSION binlog_row_image = 'FULL';

-- ---------------------------------------------------------------- transactions
BEGIN;
INSERT INTO ints (i) VALUES (1001);
SAVEPOINT sp1;
INSERT INTO ints (i) VALUES (1002);
ROLLBACK TO SAVEPOINT sp1;
INSERT INTO nums (id, d1) VALUES (10, 10.10);
UPDATE misc SET e = 'medium' WHERE id = 1;
DELETE FROM bulk WHERE id = 10;
COMMIT;
BEGIN;
INSERT INTO ints (i) VALUES (9999);
ROLLBACK;

-- XA: XA START..END + XA PREPARE (XA_PREPARE_LOG_EVENT), XA COMMIT / XA ROLLBACK as separate query events
XA START 'xa-1';
INSERT INTO nums (id, d1) VALUES (11, 11.11);
XA END 'xa-1';
XA PREPARE 'xa-1';
XA COMMIT 'xa-1';
XA START 'xa-2', 'bq', 7;
INSERT INTO nums (id, d1) VALUES (12, 12.12);
XA END 'xa-2', 'bq', 7;
XA PREPARE 'xa-2', 'bq', 7;
XA ROLLBACK 'xa-2', 'bq', 7;
XA START 'xa-3';
INSERT INTO nums (id, d1) VALUES (13, 13.13);
XA END 'xa-3';
XA COMMIT 'xa-3' ONE PHASE;

-- Non-transactional engine: BEGIN ... COMMIT query events instead of XID
CREATE TABLE aria_t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=Aria;
INSERT INTO aria_t VALUES (1, 'a'), (2, 'b');
UPDATE aria_t SET v = 'c' WHERE id = 2;
CREATE TABLE myisam_t (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=MyISAM;
INSERT INTO myisam_t VALUES (1, 'm');
-- a transaction mixing transactional and non-transactional tables
BEGIN;
INSERT INTO ints (i) VALUES (2002);
INSERT INTO myisam_t VALUES (2, 'mixed');
COMMIT;

-- ---------------------------------------------------------------- statement format: INTVAR, USER_VAR, RAND, LOAD DATA
SET SESSION binlog_format = 'STATEMENT';
SET @uv_int = 42, @uv_neg = -7, @uv_str = _utf8mb4'ünï 😀', @uv_bin = _binary X'00FF', @uv_dec = 3.14,
    @uv_real = 1e10, @uv_null = NULL, @uv_big = 18446744073709551615;
INSERT INTO ints (i) VALUES (LAST_INSERT_ID());
INSERT INTO ints (i, bi, biu) VALUES (@uv_int, @uv_null, @uv_big);
INSERT INTO ints (i) VALUES (@uv_neg);
INSERT INTO strs (id, vc, vb) VALUES (100, @uv_str, @uv_bin);
INSERT INTO nums (id, d1, dbl) VALUES (100, @uv_dec, @uv_real);
INSERT INTO nums (id, dbl) VALUES (101, RAND());
INSERT INTO nopk (a, b) VALUES (CONNECTION_ID() * 0, 'stmt');
CREATE TABLE loaded (id INT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(8,2)) ENGINE=InnoDB;
LOAD DATA LOCAL INFILE 'load-data.csv' INTO TABLE loaded FIELDS TERMINATED BY ',' LINES TERMINATED BY '\n';
SET SESSION binlog_format = 'MIXED';
INSERT INTO nums (id, dbl) VALUES (102, RAND());          -- unsafe -> logged as rows in MIXED
INSERT INTO ints (i) VALUES (3003);                      -- safe -> statement
SET SESSION binlog_format = 'ROW';
LOAD DATA LOCAL INFILE 'load-data.csv' INTO TABLE loaded FIELDS TERMINATED BY ',' LINES TERMINATED BY '\n'
  (@id, name, amount) SET id = @id + 100;

-- not written to the binlog
SET SESSION sql_log_bin = 0;
INSERT INTO ints (i) VALUES (-4242);
SET SESSION sql_log_bin = 1;

-- other GTID domain and server id
SET SESSION gtid_domain_id = 1;
INSERT INTO ints (i) VALUES (11);
SET SESSION gtid_domain_id = 0;
SET SESSION server_id = 77;
INSERT INTO ints (i) VALUES (77);
SET SESSION server_id = 1;

-- ---------------------------------------------------------------- more DDL
ALTER TABLE ints ADD COLUMN added VARCHAR(10) DEFAULT 'def' AFTER i, ADD INDEX idx_i (i);
INSERT INTO ints (i, added) VALUES (12, 'after');
ALTER TABLE ints DROP COLUMN zf;
UPDATE ints SET added = 'dropped' WHERE i = 12;
CREATE TABLE t_rename (id INT PRIMARY KEY) ENGINE=InnoDB;
RENAME TABLE t_rename TO t_renamed;
CREATE VIEW v_ints AS SELECT id, i FROM ints;
CREATE TEMPORARY TABLE tmp_t (id INT);
INSERT INTO tmp_t VALUES (1);
DROP TEMPORARY TABLE tmp_t;
TRUNCATE TABLE nopk;
DROP VIEW v_ints;
DROP TABLE t_renamed;
CREATE TABLE ctas ENGINE=InnoDB AS SELECT id, v FROM bulk WHERE id <= 3;
CREATE DATABASE bv2 CHARACTER SET latin1;
CREATE TABLE bv2.other (id INT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
INSERT INTO bv2.other VALUES (1, 'Ä');
DROP DATABASE bv2;
