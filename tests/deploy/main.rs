//! Deployment tests (docs/operations.md): the real binary behind Debian's nginx with
//! `deploy/nginx.conf` on PostgreSQL + Redis, media on an S3 server (moto), backups and restores
//! under chat load, rolling restarts. They need those services, so a plain `cargo test` lists
//! them as ignored; `bash .ci/deploy-tests.sh SUITE` (nginx, s3, backup, rolling) starts what a
//! suite needs and runs it, and CI runs all four on every submission.
#[path = "../api/common/mod.rs"]
mod common;

mod backup;
mod nginx;
mod rolling;
mod s3;
mod support;
