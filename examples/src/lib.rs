//! Examples live in this directory; see README.md.
