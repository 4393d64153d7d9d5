//! Scanning to sign in with WeCom, Feishu, DingTalk, WeChat and QQ, against a stand-in for
//! each provider on loopback (`support/standin.rs`, speaking the providers' documented
//! paths, parameters and JSON), on both backends: linking an identity then signing a
//! second computer in, an unknown identity becoming a sign-in by approval (and linked once
//! approved), joining automatically within the corp or tenant, and a replayed callback, a
//! replayed or foreign code, a wrong state, an expired attempt, a refusal on the phone and
//! a provider that is down — each a clear error that creates nothing. Removing a member
//! unlinks their identities.

#[path = "support/pg.rs"]
mod pg;
#[macro_use]
#[path = "support/backend.rs"]
mod backend;
#[path = "support/server.rs"]
mod server;
#[path = "support/standin.rs"]
mod standin;

use std::time::Duration;

use quickreply_proto::api::{
    DeviceInfo, IdentityInfo, Role, ScanLinkRequest, ScanPoll, ScanProvider, ScanProviderInfo,
    ScanRequest, ScanSetting, ScanSettingInput, ScanStarted, ScanState, SigninDecision, SigninInfo,
    SigninPoll, SigninPollRequest, SigninState,
};
use quickreply_server::Config;
use quickreply_server::scan::config::{ProviderConfig, ScanConfig};
use reqwest::{Method, StatusCode};

use backend::{Backend, R, fail};
use server::{Srv, ok_json};
use standin::{Person, StandIn, follow};

on_both_backends!(
    every_provider_links_then_signs_a_second_computer_in,
    an_unknown_identity_waits_for_approval_and_is_linked_once_approved,
    the_corp_or_tenant_joins_automatically_when_the_owner_allows,
    replays_wrong_states_expiry_and_refusals_create_nothing,
    removing_a_member_unlinks_their_identities,
    a_provider_that_is_down_fails_clearly_and_creates_nothing,
    the_owner_sets_a_provider_up_and_its_secret_never_comes_back,
    an_attempt_stuck_asking_the_provider_ends_as_expired,
);

const APPS: [(ScanProvider, &str, &str); 5] = [
    (ScanProvider::Wecom, "ww-corp", "wecom-secret"),
    (ScanProvider::Feishu, "cli_feishu", "feishu-secret"),
    (ScanProvider::Dingtalk, "ding-app", "ding-secret"),
    (ScanProvider::Wechat, "wx-app", "wx-secret"),
    (ScanProvider::Qq, "101", "qq-secret"),
];

fn providers(endpoint: &str, auto_join: bool) -> Vec<ProviderConfig> {
    APPS.iter()
        .map(|(provider, id, secret)| ProviderConfig {
            provider: *provider,
            app_id: (*id).into(),
            secret: (*secret).into(),
            agent_id: (*provider == ScanProvider::Wecom).then(|| "1000002".into()),
            auto_join: auto_join && matches!(provider, ScanProvider::Wecom | ScanProvider::Feishu),
            tenant: (*provider == ScanProvider::Feishu).then(|| "tenant-shop".into()),
            endpoint: Some(endpoint.into()),
        })
        .collect()
}

async fn start(b: &Backend, auto_join: bool) -> R<(Srv, StandIn)> {
    let apps: Vec<(&str, &str)> = APPS.iter().map(|(_, id, s)| (*id, *s)).collect();
    let standin = StandIn::start(&apps).await?;
    let endpoint = standin.base.clone();
    let srv = Srv::start_with(b, |c: &mut Config| {
        c.scan = ScanConfig {
            public_url: None,
            providers: providers(&endpoint, auto_join),
            ..Default::default()
        };
    })
    .await?;
    Ok((srv, standin))
}

async fn begin(srv: &Srv, provider: ScanProvider, device: &str) -> R<ScanStarted> {
    let resp = srv
        .http
        .post(srv.url("/v1/scan"))
        .json(&ScanRequest {
            provider,
            device_name: device.into(),
            user_name: None,
            app_version: "test".into(),
            web: false,
        })
        .send()
        .await?;
    if resp.status() != StatusCode::CREATED {
        return Err(fail(format!("POST /v1/scan: {}", resp.status())));
    }
    ok_json(resp).await
}

async fn poll(srv: &Srv, s: &ScanStarted) -> R<ScanPoll> {
    ok_json(
        srv.http
            .post(srv.url(&format!("/v1/scan/{}/poll", s.id)))
            .json(&SigninPollRequest {
                secret: s.secret.clone(),
            })
            .send()
            .await?,
    )
    .await
}

async fn devices(srv: &Srv, token: &str) -> R<usize> {
    let list: Vec<DeviceInfo> =
        ok_json(srv.req(Method::GET, "/v1/devices", token).send().await?).await?;
    Ok(list.len())
}

fn person(provider: ScanProvider, who: &str, name: &str) -> Person {
    let tenant = match provider {
        ScanProvider::Wecom => Some("ww-corp"),
        ScanProvider::Feishu => Some("tenant-shop"),
        ScanProvider::Dingtalk => Some("ding-corp"),
        _ => None,
    };
    Person::new(&format!("{}-{who}", provider.as_str()), name, tenant)
}

async fn every_provider_links_then_signs_a_second_computer_in(b: Backend) -> R {
    let (srv, standin) = start(&b, false).await?;
    let (owner, me) = srv.owner().await?;
    let listed: Vec<ScanProviderInfo> =
        ok_json(srv.http.get(srv.url("/v1/scan")).send().await?).await?;
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[0].name_zh, "企业微信");
    for (provider, app_id, _) in APPS {
        let boss = person(provider, "boss", "老板");
        // Link from the signed-in computer.
        let link: ScanStarted = ok_json(
            srv.req(Method::POST, "/v1/scan/link", &owner)
                .json(&ScanLinkRequest { provider })
                .send()
                .await?,
        )
        .await?;
        assert!(link.url.starts_with(&standin.base), "{}", link.url);
        assert!(link.url.contains(app_id), "{}", link.url);
        assert_eq!(poll(&srv, &link).await?.state, ScanState::Waiting);
        let (status, page, _) = standin.scan(&link.url, &boss).await?;
        assert_eq!(status, 200, "{provider:?}: {page}");
        assert!(page.contains("已关联"), "{page}");
        assert_eq!(poll(&srv, &link).await?.state, ScanState::Linked);
        // A new computer signs in by scanning, as the owner.
        let started = begin(&srv, provider, "新电脑").await?;
        let (status, page, _) = standin.scan(&started.url, &boss).await?;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("已登录"), "{page}");
        let polled = poll(&srv, &started).await?;
        assert_eq!(polled.state, ScanState::SignedIn, "{polled:?}");
        let join = polled.join.ok_or_else(|| fail("no token"))?;
        assert_eq!((join.me.user_id, join.me.role), (me.user_id, Role::Owner));
        assert_eq!(join.me.device_name, "新电脑");
        let them: quickreply_proto::api::Me =
            ok_json(srv.req(Method::GET, "/v1/me", &join.token).send().await?).await?;
        assert_eq!(them.device_id, join.me.device_id);
        // Collected once.
        let again = srv
            .http
            .post(srv.url(&format!("/v1/scan/{}/poll", started.id)))
            .json(&SigninPollRequest {
                secret: started.secret.clone(),
            })
            .send()
            .await?;
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
    }
    let linked: Vec<IdentityInfo> = ok_json(
        srv.req(Method::GET, "/v1/identities", &owner)
            .send()
            .await?,
    )
    .await?;
    assert_eq!(linked.len(), 5);
    assert!(
        linked
            .iter()
            .any(|i| i.provider == ScanProvider::Feishu && i.display_name == "老板")
    );
    // 1 + one more device per provider.
    assert_eq!(devices(&srv, &owner).await?, 6);
    // Unlinking: the next scan is an unknown identity.
    let gone = srv
        .req(Method::DELETE, "/v1/identities/qq", &owner)
        .send()
        .await?;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let started = begin(&srv, ScanProvider::Qq, "又一台").await?;
    standin
        .scan(&started.url, &person(ScanProvider::Qq, "boss", "老板"))
        .await?;
    assert_eq!(poll(&srv, &started).await?.state, ScanState::Approval);
    Ok(())
}

async fn an_unknown_identity_waits_for_approval_and_is_linked_once_approved(b: Backend) -> R {
    let (srv, standin) = start(&b, false).await?;
    let (owner, _) = srv.owner().await?;
    let lisi = person(ScanProvider::Wecom, "lisi", "李四");
    let started = begin(&srv, ScanProvider::Wecom, "李四的电脑").await?;
    let (status, page, _) = standin.scan(&started.url, &lisi).await?;
    assert_eq!(status, 200);
    assert!(page.contains("批准"), "{page}");
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::Approval);
    let signin = polled.signin.ok_or_else(|| fail("no sign-in"))?;
    assert_eq!(signin.secret, started.secret);
    // The lead sees the provider's name and approves as a new agent.
    let info: SigninInfo = ok_json(
        srv.req(
            Method::GET,
            &format!("/v1/signin?code={}", signin.code),
            &owner,
        )
        .send()
        .await?,
    )
    .await?;
    assert_eq!(info.user_name.as_deref(), Some("wecom-lisi（企业微信）"));
    assert_eq!(info.device_name, "李四的电脑");
    let approved = srv
        .req(Method::POST, "/v1/signin/approve", &owner)
        .json(&SigninDecision {
            code: signin.code.clone(),
            member: Some(Role::Agent),
        })
        .send()
        .await?;
    assert_eq!(approved.status(), StatusCode::NO_CONTENT);
    let got: SigninPoll = ok_json(
        srv.http
            .post(srv.url(&format!("/v1/signin/{}/poll", signin.id)))
            .json(&SigninPollRequest {
                secret: signin.secret.clone(),
            })
            .send()
            .await?,
    )
    .await?;
    assert_eq!(got.state, SigninState::Approved);
    let join = got.join.ok_or_else(|| fail("no token"))?;
    assert_eq!(join.me.role, Role::Agent);
    // Linked now: the next computer of 李四 signs in without approval.
    let second = begin(&srv, ScanProvider::Wecom, "李四的笔记本").await?;
    standin.scan(&second.url, &lisi).await?;
    let polled = poll(&srv, &second).await?;
    assert_eq!(polled.state, ScanState::SignedIn, "{polled:?}");
    assert_eq!(polled.join.map(|j| j.me.user_id), Some(join.me.user_id));
    Ok(())
}

async fn the_corp_or_tenant_joins_automatically_when_the_owner_allows(b: Backend) -> R {
    let (srv, standin) = start(&b, true).await?;
    let (owner, _) = srv.owner().await?;
    // A member of the WeCom corp joins as an agent at once, named by the provider.
    let started = begin(&srv, ScanProvider::Wecom, "客服1号机").await?;
    standin
        .scan(&started.url, &person(ScanProvider::Wecom, "wangwu", "王五"))
        .await?;
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::SignedIn, "{polled:?}");
    let join = polled.join.ok_or_else(|| fail("no token"))?;
    assert_eq!(
        (join.me.role, join.me.user_name.as_str()),
        (Role::Agent, "wecom-wangwu")
    );
    // An outsider of the corp (WeCom answers an openid) waits for approval.
    let started = begin(&srv, ScanProvider::Wecom, "外人").await?;
    standin
        .scan(&started.url, &Person::new("o-outsider", "外人", None))
        .await?;
    assert_eq!(poll(&srv, &started).await?.state, ScanState::Approval);
    // Feishu: the configured tenant joins, another tenant waits.
    let started = begin(&srv, ScanProvider::Feishu, "飞书电脑").await?;
    standin
        .scan(&started.url, &person(ScanProvider::Feishu, "zhao", "赵六"))
        .await?;
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::SignedIn);
    assert_eq!(
        polled.join.map(|j| j.me.user_name),
        Some("赵六".to_string())
    );
    let started = begin(&srv, ScanProvider::Feishu, "别家").await?;
    standin
        .scan(
            &started.url,
            &Person::new("ou-x", "别家的人", Some("tenant-other")),
        )
        .await?;
    assert_eq!(poll(&srv, &started).await?.state, ScanState::Approval);
    // DingTalk and WeChat never join by themselves here.
    let started = begin(&srv, ScanProvider::Wechat, "微信电脑").await?;
    standin
        .scan(&started.url, &person(ScanProvider::Wechat, "q", "微信用户"))
        .await?;
    assert_eq!(poll(&srv, &started).await?.state, ScanState::Approval);
    // The owner + the two who joined.
    assert_eq!(devices(&srv, &owner).await?, 3);
    // The one who joined is linked: their next computer signs in as them.
    let again = begin(&srv, ScanProvider::Wecom, "客服2号机").await?;
    standin
        .scan(&again.url, &person(ScanProvider::Wecom, "wangwu", "王五"))
        .await?;
    assert_eq!(
        poll(&srv, &again).await?.join.map(|j| j.me.user_id),
        Some(join.me.user_id)
    );
    Ok(())
}

async fn replays_wrong_states_expiry_and_refusals_create_nothing(b: Backend) -> R {
    let (srv, standin) = start(&b, true).await?;
    let (owner, _) = srv.owner().await?;
    let member = person(ScanProvider::Wecom, "m", "成员");
    for provider in ScanProvider::ALL {
        // A replayed callback (the same redirect again) finds its state used.
        let started = begin(&srv, provider, "甲").await?;
        let url = reqwest::Url::parse(&started.url)?;
        let state = url
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| fail("no state"))?;
        let who = person(provider, "r", "重放");
        let (status, _, code) = standin.scan(&started.url, &who).await?;
        assert_eq!(status, 200);
        let callback = srv.url(&format!("/v1/scan/callback/{}", provider.as_str()));
        let (status, page) = follow(&callback, &[("code", &code), ("state", &state)]).await?;
        assert_eq!(status, 400);
        assert!(page.contains("已经用过"), "{page}");
        // A replayed (or foreign) code in a new attempt: the provider refuses it.
        let other = begin(&srv, provider, "乙").await?;
        let other_state = reqwest::Url::parse(&other.url)?
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| fail("no state"))?;
        let key = if provider == ScanProvider::Dingtalk {
            "authCode"
        } else {
            "code"
        };
        let (status, page) = follow(&callback, &[(key, &code), ("state", &other_state)]).await?;
        assert_eq!(status, 400, "{provider:?}");
        assert!(
            page.contains(&format!("{}拒绝了这次登录", provider.name_zh())),
            "{page}"
        );
        let polled = poll(&srv, &other).await?;
        assert_eq!(polled.state, ScanState::Failed);
        let error = polled.error.ok_or_else(|| fail("no error"))?;
        assert_eq!(error.code, "provider_error");
        assert!(error.zh.contains("没有登录"), "{}", error.zh);
        // A foreign code (issued to another app).
        let third = begin(&srv, provider, "丙").await?;
        let third_state = reqwest::Url::parse(&third.url)?
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| fail("no state"))?;
        let foreign = standin.code_for("another-app", &who);
        let (status, _) = follow(&callback, &[(key, &foreign), ("state", &third_state)]).await?;
        assert_eq!(status, 400);
        assert_eq!(poll(&srv, &third).await?.state, ScanState::Failed);
    }
    let before = devices(&srv, &owner).await?;
    // A wrong state.
    let started = begin(&srv, ScanProvider::Wecom, "丁").await?;
    let code = standin.code_for("ww-corp", &member);
    let (status, page) = follow(
        &srv.url("/v1/scan/callback/wecom"),
        &[("code", &code), ("state", "not-a-state")],
    )
    .await?;
    assert_eq!(status, 400);
    assert!(page.contains("state 不对"), "{page}");
    assert_eq!(poll(&srv, &started).await?.state, ScanState::Waiting);
    // The state of another provider's attempt.
    let feishu = begin(&srv, ScanProvider::Feishu, "戊").await?;
    let feishu_state = reqwest::Url::parse(&feishu.url)?
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| fail("no state"))?;
    let (status, _) = follow(
        &srv.url("/v1/scan/callback/wecom"),
        &[("code", &code), ("state", &feishu_state)],
    )
    .await?;
    assert_eq!(status, 400);
    assert_eq!(poll(&srv, &feishu).await?.state, ScanState::Failed);
    // Refused on the phone (no code, an error).
    let denied = begin(&srv, ScanProvider::Feishu, "己").await?;
    let denied_state = reqwest::Url::parse(&denied.url)?
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| fail("no state"))?;
    let (status, page) = follow(
        &srv.url("/v1/scan/callback/feishu"),
        &[("error", "access_denied"), ("state", &denied_state)],
    )
    .await?;
    assert_eq!(status, 400);
    assert!(page.contains("没有同意"), "{page}");
    assert_eq!(
        poll(&srv, &denied).await?.error.map(|e| e.code),
        Some("denied".to_string())
    );
    // An expired attempt.
    srv.clock.advance(Duration::from_secs(6 * 60));
    let (status, page, _) = standin.scan(&started.url, &member).await?;
    assert_eq!(status, 400);
    assert!(page.contains("过期"), "{page}");
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::Expired);
    assert!(polled.error.is_some_and(|e| e.zh.contains("过期")));
    assert_eq!(devices(&srv, &owner).await?, before);
    Ok(())
}

async fn removing_a_member_unlinks_their_identities(b: Backend) -> R {
    let (srv, standin) = start(&b, false).await?;
    let (owner, _) = srv.owner().await?;
    let code = srv.invite(&owner, Role::Agent, 1, false).await?;
    let (agent, agent_me) = srv.join(&code, "客服电脑", Some("小王")).await?;
    let xiaowang = person(ScanProvider::Dingtalk, "xw", "小王");
    let link: ScanStarted = ok_json(
        srv.req(Method::POST, "/v1/scan/link", &agent)
            .json(&ScanLinkRequest {
                provider: ScanProvider::Dingtalk,
            })
            .send()
            .await?,
    )
    .await?;
    standin.scan(&link.url, &xiaowang).await?;
    assert_eq!(poll(&srv, &link).await?.state, ScanState::Linked);
    // Someone else cannot take the same account.
    let steal: ScanStarted = ok_json(
        srv.req(Method::POST, "/v1/scan/link", &owner)
            .json(&ScanLinkRequest {
                provider: ScanProvider::Dingtalk,
            })
            .send()
            .await?,
    )
    .await?;
    let (status, page, _) = standin.scan(&steal.url, &xiaowang).await?;
    assert_eq!(status, 400);
    assert!(page.contains("另一位成员"), "{page}");
    assert_eq!(
        poll(&srv, &steal).await?.error.map(|e| e.code),
        Some("linked_elsewhere".to_string())
    );
    let removed = srv
        .req(
            Method::DELETE,
            &format!("/v1/members/{}", agent_me.user_id),
            &owner,
        )
        .send()
        .await?;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    // Their scan is an unknown identity now, waiting for approval.
    let started = begin(&srv, ScanProvider::Dingtalk, "小王的新电脑").await?;
    standin.scan(&started.url, &xiaowang).await?;
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::Approval);
    assert!(polled.join.is_none());
    Ok(())
}

async fn a_provider_that_is_down_fails_clearly_and_creates_nothing(b: Backend) -> R {
    // Nothing listens on the providers' address (a port bound, then released).
    let closed = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let endpoint = format!("http://{closed}");
    let srv = Srv::start_with(&b, |c: &mut Config| {
        c.scan = ScanConfig {
            public_url: Some("https://sync.example".into()),
            providers: providers(&endpoint, true),
            ..Default::default()
        };
    })
    .await?;
    let (owner, _) = srv.owner().await?;
    for provider in [ScanProvider::Wecom, ScanProvider::Feishu, ScanProvider::Qq] {
        let started = begin(&srv, provider, "甲").await?;
        let url = reqwest::Url::parse(&started.url)?;
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        // The providers send the phone to the public URL.
        assert_eq!(
            q.get("redirect_uri").map(String::as_str),
            Some(
                format!(
                    "https://sync.example/v1/scan/callback/{}",
                    provider.as_str()
                )
                .as_str()
            )
        );
        let state = q.get("state").ok_or_else(|| fail("no state"))?;
        let (status, page) = follow(
            &srv.url(&format!("/v1/scan/callback/{}", provider.as_str())),
            &[("code", "C1"), ("state", state)],
        )
        .await?;
        assert_eq!(status, 400);
        assert!(
            page.contains(&format!("连不上{}", provider.name_zh())),
            "{page}"
        );
        let polled = poll(&srv, &started).await?;
        assert_eq!(polled.state, ScanState::Failed);
        assert_eq!(
            polled.error.map(|e| e.code),
            Some("provider_down".to_string())
        );
    }
    assert_eq!(devices(&srv, &owner).await?, 1);
    // A provider the server is not set up for.
    let resp = srv
        .http
        .post(srv.url("/v1/scan"))
        .json(&serde_json::json!({"provider": "wechat", "device_name": "x"}))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let none = Srv::start_any(&b, |_| {}).await?;
    let resp = none
        .http
        .post(none.url("/v1/scan"))
        .json(&serde_json::json!({"provider": "wecom", "device_name": "x"}))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert!(resp.text().await?.contains("没有设置企业微信登录"));
    Ok(())
}

async fn the_owner_sets_a_provider_up_and_its_secret_never_comes_back(b: Backend) -> R {
    let standin = StandIn::start(&[
        ("cli_admin", "admin-set-secret"),
        ("ww-corp", "wecom-secret"),
    ])
    .await?;
    let endpoint = standin.base.clone();
    // WeCom from the config file; Feishu only has its endpoint there (the stand-in).
    let srv = Srv::start_with(&b, |c: &mut Config| {
        c.scan = ScanConfig {
            public_url: None,
            providers: providers(&endpoint, false)
                .into_iter()
                .filter(|p| p.provider == ScanProvider::Wecom)
                .collect(),
            endpoints: [(ScanProvider::Feishu, endpoint.clone())]
                .into_iter()
                .collect(),
        };
    })
    .await?;
    let (owner, _) = srv.owner().await?;
    let code = srv.invite(&owner, Role::Editor, 1, false).await?;
    let (editor, _) = srv.join(&code, "编辑电脑", Some("编辑")).await?;
    let input = ScanSettingInput {
        app_id: "cli_admin".into(),
        secret: Some("admin-set-secret".into()),
        agent_id: None,
        auto_join: true,
        tenant: Some("tenant-shop".into()),
    };
    // Only the owner.
    let refused = srv
        .req(Method::PUT, "/v1/scan/settings/feishu", &editor)
        .json(&input)
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await?.contains("只有团队主管"));
    let refused = srv
        .req(Method::GET, "/v1/scan/settings", &editor)
        .send()
        .await?;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Checked like the config file, in Chinese first.
    let bad = srv
        .req(Method::PUT, "/v1/scan/settings/feishu", &owner)
        .json(&ScanSettingInput {
            tenant: None,
            ..input.clone()
        })
        .send()
        .await?;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await?.contains("tenant_key"));
    let no_secret = srv
        .req(Method::PUT, "/v1/scan/settings/feishu", &owner)
        .json(&ScanSettingInput {
            secret: None,
            ..input.clone()
        })
        .send()
        .await?;
    assert_eq!(no_secret.status(), StatusCode::BAD_REQUEST);
    // The config file's provider is changed there, not here.
    let fixed = srv
        .req(Method::PUT, "/v1/scan/settings/wecom", &owner)
        .json(&ScanSettingInput {
            agent_id: Some("1".into()),
            ..input.clone()
        })
        .send()
        .await?;
    assert_eq!(fixed.status(), StatusCode::CONFLICT);
    let ok = srv
        .req(Method::PUT, "/v1/scan/settings/feishu", &owner)
        .json(&input)
        .send()
        .await?;
    assert_eq!(ok.status(), StatusCode::NO_CONTENT);
    // Listed, and its secret never answered; changing it without the secret keeps it.
    let raw = srv
        .req(Method::GET, "/v1/scan/settings", &owner)
        .send()
        .await?
        .text()
        .await?;
    assert!(
        !raw.contains("admin-set-secret") && !raw.contains("wecom-secret"),
        "{raw}"
    );
    let settings: Vec<ScanSetting> = serde_json::from_str(&raw)?;
    assert_eq!(settings.len(), 5);
    let feishu = settings
        .iter()
        .find(|s| s.provider == ScanProvider::Feishu)
        .ok_or_else(|| fail("no feishu"))?;
    assert!(feishu.configured && feishu.has_secret && !feishu.from_config && feishu.auto_join);
    assert!(feishu.callback_url.ends_with("/v1/scan/callback/feishu"));
    assert!(
        settings
            .iter()
            .any(|s| s.provider == ScanProvider::Wecom && s.from_config)
    );
    let kept = srv
        .req(Method::PUT, "/v1/scan/settings/feishu", &owner)
        .json(&ScanSettingInput {
            secret: None,
            ..input.clone()
        })
        .send()
        .await?;
    assert_eq!(kept.status(), StatusCode::NO_CONTENT);
    let listed: Vec<ScanProviderInfo> =
        ok_json(srv.http.get(srv.url("/v1/scan")).send().await?).await?;
    assert_eq!(
        listed.iter().map(|p| p.provider).collect::<Vec<_>>(),
        [ScanProvider::Wecom, ScanProvider::Feishu]
    );
    // It signs in (the tenant's people join), with the kept secret.
    let started = begin(&srv, ScanProvider::Feishu, "飞书新电脑").await?;
    assert!(
        started.url.contains("client_id=cli_admin"),
        "{}",
        started.url
    );
    standin
        .scan(&started.url, &person(ScanProvider::Feishu, "z", "钱七"))
        .await?;
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::SignedIn, "{polled:?}");
    // Removed: no longer offered.
    let gone = srv
        .req(Method::DELETE, "/v1/scan/settings/feishu", &owner)
        .send()
        .await?;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let resp = srv
        .http
        .post(srv.url("/v1/scan"))
        .json(&serde_json::json!({"provider": "feishu", "device_name": "x"}))
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    Ok(())
}

async fn an_attempt_stuck_asking_the_provider_ends_as_expired(b: Backend) -> R {
    // A "provider" that takes connections and never answers: the callback stays on it.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", silent.local_addr()?);
    let srv = Srv::start_with(&b, |c: &mut Config| {
        c.scan = ScanConfig {
            providers: providers(&endpoint, false),
            ..Default::default()
        };
    })
    .await?;
    srv.owner().await?;
    let started = begin(&srv, ScanProvider::Feishu, "甲").await?;
    let state = reqwest::Url::parse(&started.url)?
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| fail("no state"))?;
    let callback = srv.url("/v1/scan/callback/feishu");
    let (first_url, first_state) = (callback.clone(), state.clone());
    let stuck = tokio::spawn(async move {
        follow(&first_url, &[("code", "C1"), ("state", &first_state)]).await
    });
    // The server asks the provider only after it took the state: once the silent
    // provider has the connection, the attempt is being exchanged (and stays so).
    let (_held, _) = silent.accept().await?;
    let (status, page) = follow(&callback, &[("code", "C1"), ("state", &state)]).await?;
    assert!(
        status == 400 && page.contains("已经用过"),
        "{status} {page}"
    );
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::Waiting, "{polled:?}");
    // Long past its expiry the attempt is over, whatever the provider does.
    srv.clock.advance(Duration::from_secs(10 * 60));
    let polled = poll(&srv, &started).await?;
    assert_eq!(polled.state, ScanState::Expired);
    assert!(polled.error.is_some_and(|e| e.zh.contains("过期")));
    stuck.abort();
    drop(silent);
    Ok(())
}
