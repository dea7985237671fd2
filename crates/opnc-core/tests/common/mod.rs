#![allow(dead_code)]

use std::time::Duration;

use opnc_core::nextcloud::{NextcloudClient, NextcloudCredentials};
use opnc_core::openproject::{OpenProjectAuth, OpenProjectClient};
use opnc_core::{HttpClient, HttpConfig, SecretString, ServerUrl, UrlPolicy};
use opnc_sim::nextcloud::demo as nc_demo;
use opnc_sim::openproject::demo as op_demo;

pub fn http() -> HttpClient {
    HttpClient::new(HttpConfig {
        connect_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(10),
        ..HttpConfig::default()
    })
    .expect("client")
}

pub fn url(text: &str) -> ServerUrl {
    ServerUrl::parse(text, UrlPolicy::default()).expect("valid loopback URL")
}

pub fn op(base: &str, token: &str) -> OpenProjectClient {
    OpenProjectClient::new(http(), url(base), OpenProjectAuth::ApiKey(SecretString::from(token)))
}

pub fn op_admin(base: &str) -> OpenProjectClient {
    op(base, op_demo::ADMIN_TOKEN)
}

pub fn nc(base: &str, login: &str, password: &str) -> NextcloudClient {
    NextcloudClient::new(
        http(),
        url(base),
        Some(NextcloudCredentials { login_name: login.into(), password: SecretString::from(password) }),
    )
}

pub fn nc_admin(base: &str) -> NextcloudClient {
    nc(base, nc_demo::ADMIN_LOGIN, nc_demo::ADMIN_PASSWORD)
}

pub fn nc_anonymous(base: &str) -> NextcloudClient {
    NextcloudClient::new(http(), url(base), None)
}
