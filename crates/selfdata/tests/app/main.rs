//! The application's integration tests, linked into one binary (linking
//! the whole server once instead of once per file): each module was a test
//! file of its own and keeps its name, so `cargo test -p selfdata --test app
//! security_rdf::` runs one of them. `common` starts a real server on
//! loopback and holds the one test browser (`common/browser.rs`: cookies,
//! forms, uploads, sign-up and sign-in, consent); `e2e` runs the real binary
//! against Node clients and Chromium.

mod common;
mod e2e;

mod access;
mod access_log;
mod apps;
mod backup;
mod budget;
mod budget_demo;
mod budget_subscriptions;
mod commands;
mod connect;
mod crash;
mod dashboard;
mod e2e_attacks;
mod e2e_browser;
mod e2e_dashboard;
mod e2e_example_app;
mod e2e_holders;
mod e2e_openapi;
mod e2e_operator;
mod e2e_organisations;
mod e2e_phone;
mod e2e_privacy;
mod e2e_solid_client;
mod e2e_solidos;
mod e2e_studies;
mod energy;
mod erasure;
mod failover;
mod holders;
mod holders_files;
mod holders_signed;
mod migrate;
mod mobility;
mod mobility_demo;
mod monitoring;
mod notifications;
mod openapi;
mod operator;
mod operator_residents;
mod organisations;
mod packaging;
mod pages;
mod portability;
mod privacy;
mod protocol;
mod scale;
mod security;
mod security_accounts;
mod security_archives;
mod security_oidc;
mod security_rdf;
mod security_storage;
mod shared;
mod studies;
mod tls;
mod transfers;
mod upgrade;
mod uploads;
