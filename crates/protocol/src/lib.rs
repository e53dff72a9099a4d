//! Sans-IO core of the MySQL/MariaDB client/server protocol, replica side.
#![warn(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![doc(test(attr(deny(warnings))))]
