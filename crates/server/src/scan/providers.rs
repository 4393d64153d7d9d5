//! The five providers' OAuth protocols: the page a phone opens (its URL carries the
//! attempt's `state`) and, at the callback, the server-to-provider calls that turn the
//! `code` into who scanned. Each function follows the provider's documentation, cited
//! beside it; `tests/scan.rs` runs every one against a stand-in on loopback that speaks the
//! same paths, parameters and JSON (`ProviderConfig::endpoint` points there).

use std::time::Duration;

use quickreply_proto::api::{ScanError, ScanProvider};
use serde_json::Value;

use super::config::ProviderConfig;
use crate::store::scan::Identity;

/// How long the server waits for a provider's answer.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client the server asks providers with.
pub fn client() -> Result<reqwest::Client, crate::Error> {
    reqwest::Client::builder()
        .timeout(PROVIDER_TIMEOUT)
        .connect_timeout(PROVIDER_TIMEOUT)
        .build()
        .map_err(|e| crate::Error::internal(format!("HTTP client for sign-in providers: {e}")))
}

/// `base` + `path`, with the provider's host replaced by the configured endpoint.
fn at(cfg: &ProviderConfig, base: &str, path: &str) -> String {
    format!("{}{path}", cfg.endpoint.as_deref().unwrap_or(base))
}

fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// The page the phone opens to sign in (shown as a QR code, or opened in a browser).
pub fn authorize_url(cfg: &ProviderConfig, redirect_uri: &str, state: &str) -> String {
    let id = cfg.app_id.as_str();
    match cfg.provider {
        // https://developer.work.weixin.qq.com/document/path/98152 (企业微信 Web 登录:
        // 构造企业微信登录链接)
        ScanProvider::Wecom => format!(
            "{}?{}",
            at(
                cfg,
                "https://login.work.weixin.qq.com",
                "/wwlogin/sso/login"
            ),
            query(&[
                ("login_type", "CorpApp"),
                ("appid", id),
                ("agentid", cfg.agent_id.as_deref().unwrap_or_default()),
                ("redirect_uri", redirect_uri),
                ("state", state),
            ])
        ),
        // https://open.feishu.cn/document/common-capabilities/sso/api/obtain-oauth-code
        // (获取授权码)
        ScanProvider::Feishu => format!(
            "{}?{}",
            at(
                cfg,
                "https://accounts.feishu.cn",
                "/open-apis/authen/v1/authorize"
            ),
            query(&[
                ("client_id", id),
                ("redirect_uri", redirect_uri),
                ("state", state),
            ])
        ),
        // https://open.dingtalk.com/document/orgapp/tutorial-obtaining-user-personal-information
        // (获取登录用户的访问凭证: 构造授权页面 URL)
        ScanProvider::Dingtalk => format!(
            "{}?{}",
            at(cfg, "https://login.dingtalk.com", "/oauth2/auth"),
            query(&[
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("client_id", id),
                ("scope", "openid corpid"),
                ("state", state),
                ("prompt", "consent"),
            ])
        ),
        // https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
        // (网站应用微信登录开发指南: 第一步 请求 CODE)
        ScanProvider::Wechat => format!(
            "{}?{}#wechat_redirect",
            at(cfg, "https://open.weixin.qq.com", "/connect/qrconnect"),
            query(&[
                ("appid", id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", "snsapi_login"),
                ("state", state),
            ])
        ),
        // https://wiki.connect.qq.com/使用authorization_code获取access_token (Step1)
        ScanProvider::Qq => format!(
            "{}?{}",
            at(cfg, "https://graph.qq.com", "/oauth2.0/authorize"),
            query(&[
                ("response_type", "code"),
                ("client_id", id),
                ("redirect_uri", redirect_uri),
                ("state", state),
                ("scope", "get_user_info"),
            ])
        ),
    }
}

/// The provider could not be asked (down, unreachable, not answering JSON).
pub fn down(provider: ScanProvider, detail: &str) -> ScanError {
    ScanError {
        code: "provider_down".into(),
        zh: format!(
            "连不上{}服务器（{detail}），没有登录。请稍后重新扫码；一直这样请联系管理员检查服务器的网络。",
            provider.name_zh()
        ),
        en: format!(
            "could not reach {} ({detail}); nothing was signed in. Scan again later; if it \
             keeps happening, ask the administrator to check the server's network.",
            provider.name_en()
        ),
    }
}

/// The provider refused (a used, expired or foreign code, a wrong secret, …).
pub fn refused(provider: ScanProvider, code: &str, message: &str) -> ScanError {
    ScanError {
        code: "provider_error".into(),
        zh: format!(
            "{}拒绝了这次登录：{message}（错误码 {code}），没有登录。请重新扫码；一直这样请让管理员检查{}应用的设置。",
            provider.name_zh(),
            provider.name_zh()
        ),
        en: format!(
            "{} refused this sign-in: {message} (error {code}); nothing was signed in. Scan \
             again; if it keeps happening, ask the administrator to check the {} app's \
             settings.",
            provider.name_en(),
            provider.name_en()
        ),
    }
}

/// Sends a request and reads its JSON body (of any status below 500).
async fn json(provider: ScanProvider, req: reqwest::RequestBuilder) -> Result<Value, ScanError> {
    let response = req.send().await.map_err(|e| {
        let what = if e.is_timeout() {
            "no answer in time".to_string()
        } else if e.is_connect() {
            "connection refused or unreachable".to_string()
        } else {
            "request failed".to_string()
        };
        down(provider, &what)
    })?;
    let status = response.status();
    if status.is_server_error() {
        return Err(down(provider, &format!("HTTP {}", status.as_u16())));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|_| down(provider, "the answer broke off"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| down(provider, &format!("HTTP {}, not JSON", status.as_u16())))
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A WeChat-style answer (`errcode` ≠ 0 is a refusal).
fn weixin_ok(provider: ScanProvider, v: Value) -> Result<Value, ScanError> {
    match v.get("errcode").and_then(Value::as_i64) {
        Some(code) if code != 0 => Err(refused(
            provider,
            &code.to_string(),
            &text(&v, "errmsg").unwrap_or_default(),
        )),
        _ => Ok(v),
    }
}

fn missing(provider: ScanProvider, what: &str) -> ScanError {
    refused(provider, "-", &format!("the answer has no {what}"))
}

/// Who scanned: exchanges the callback's `code`.
pub async fn identify(
    http: &reqwest::Client,
    cfg: &ProviderConfig,
    code: &str,
    redirect_uri: &str,
) -> Result<Identity, ScanError> {
    let p = cfg.provider;
    match p {
        ScanProvider::Wecom => {
            // https://developer.work.weixin.qq.com/document/path/91039 (获取access_token):
            // GET /cgi-bin/gettoken?corpid&corpsecret → {errcode, errmsg, access_token}
            let base = "https://qyapi.weixin.qq.com";
            let token = weixin_ok(
                p,
                json(
                    p,
                    http.get(at(cfg, base, "/cgi-bin/gettoken"))
                        .query(&[("corpid", &cfg.app_id), ("corpsecret", &cfg.secret)]),
                )
                .await?,
            )?;
            let access_token =
                text(&token, "access_token").ok_or_else(|| missing(p, "access_token"))?;
            // https://developer.work.weixin.qq.com/document/path/98177 (获取用户登录身份):
            // GET /cgi-bin/auth/getuserinfo?access_token&code → {errcode, errmsg, userid}
            // for corp members, {…, openid} for others; a used code: errcode 40029.
            let user = weixin_ok(
                p,
                json(
                    p,
                    http.get(at(cfg, base, "/cgi-bin/auth/getuserinfo"))
                        .query(&[("access_token", access_token.as_str()), ("code", code)]),
                )
                .await?,
            )?;
            match (text(&user, "userid"), text(&user, "openid")) {
                (Some(userid), _) => Ok(Identity {
                    provider: p,
                    subject: userid.clone(),
                    display_name: userid,
                    tenant: Some(cfg.app_id.clone()),
                }),
                (None, Some(openid)) => Ok(Identity {
                    provider: p,
                    subject: format!("openid:{openid}"),
                    display_name: format!("企业微信外部用户 {}", short(&openid)),
                    tenant: None,
                }),
                (None, None) => Err(missing(p, "userid")),
            }
        }
        ScanProvider::Feishu => {
            // https://open.feishu.cn/document/authentication-management/access-token/get-user-access-token
            // POST /open-apis/authen/v2/oauth/token {grant_type, client_id, client_secret,
            // code, redirect_uri} → {code: 0, access_token, …}; refused: {code, error,
            // error_description}
            let base = "https://open.feishu.cn";
            let token = json(
                p,
                http.post(at(cfg, base, "/open-apis/authen/v2/oauth/token"))
                    .json(&serde_json::json!({
                        "grant_type": "authorization_code",
                        "client_id": cfg.app_id,
                        "client_secret": cfg.secret,
                        "code": code,
                        "redirect_uri": redirect_uri,
                    })),
            )
            .await?;
            feishu_ok(p, &token)?;
            let access_token =
                text(&token, "access_token").ok_or_else(|| missing(p, "access_token"))?;
            // https://open.feishu.cn/document/server-docs/authentication-management/login-state-management/get
            // GET /open-apis/authen/v1/user_info (Bearer) → {code: 0, data: {name, open_id,
            // union_id, user_id, tenant_key}}
            let info = json(
                p,
                http.get(at(cfg, base, "/open-apis/authen/v1/user_info"))
                    .bearer_auth(access_token),
            )
            .await?;
            feishu_ok(p, &info)?;
            let data = info.get("data").cloned().unwrap_or(Value::Null);
            let open_id = text(&data, "open_id").ok_or_else(|| missing(p, "open_id"))?;
            Ok(Identity {
                provider: p,
                display_name: text(&data, "name").unwrap_or_else(|| open_id.clone()),
                subject: open_id,
                tenant: text(&data, "tenant_key"),
            })
        }
        ScanProvider::Dingtalk => {
            // https://open.dingtalk.com/document/orgapp/obtain-user-token
            // POST /v1.0/oauth2/userAccessToken {clientId, clientSecret, code, grantType}
            // → {accessToken, refreshToken, expireIn, corpId}; refused: HTTP 400 {code,
            // message}
            let base = "https://api.dingtalk.com";
            let token = json(
                p,
                http.post(at(cfg, base, "/v1.0/oauth2/userAccessToken"))
                    .json(&serde_json::json!({
                        "clientId": cfg.app_id,
                        "clientSecret": cfg.secret,
                        "code": code,
                        "grantType": "authorization_code",
                    })),
            )
            .await?;
            dingtalk_ok(p, &token)?;
            let access_token =
                text(&token, "accessToken").ok_or_else(|| missing(p, "accessToken"))?;
            // https://open.dingtalk.com/document/orgapp/dingtalk-retrieve-user-information
            // GET /v1.0/contact/users/me (x-acs-dingtalk-access-token) → {nick, unionId,
            // openId, …}
            let me = json(
                p,
                http.get(at(cfg, base, "/v1.0/contact/users/me"))
                    .header("x-acs-dingtalk-access-token", access_token),
            )
            .await?;
            dingtalk_ok(p, &me)?;
            let union_id = text(&me, "unionId").ok_or_else(|| missing(p, "unionId"))?;
            Ok(Identity {
                provider: p,
                display_name: text(&me, "nick").unwrap_or_else(|| union_id.clone()),
                subject: union_id,
                tenant: text(&token, "corpId"),
            })
        }
        ScanProvider::Wechat => {
            // https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
            // 第二步: GET /sns/oauth2/access_token?appid&secret&code&grant_type=
            // authorization_code → {access_token, openid, unionid, …} or {errcode, errmsg}
            let base = "https://api.weixin.qq.com";
            let token = weixin_ok(
                p,
                json(
                    p,
                    http.get(at(cfg, base, "/sns/oauth2/access_token")).query(&[
                        ("appid", cfg.app_id.as_str()),
                        ("secret", cfg.secret.as_str()),
                        ("code", code),
                        ("grant_type", "authorization_code"),
                    ]),
                )
                .await?,
            )?;
            let access_token =
                text(&token, "access_token").ok_or_else(|| missing(p, "access_token"))?;
            let openid = text(&token, "openid").ok_or_else(|| missing(p, "openid"))?;
            // https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Authorized_Interface_Calling_UnionID.html
            // GET /sns/userinfo?access_token&openid → {openid, nickname, unionid, …}
            let user = weixin_ok(
                p,
                json(
                    p,
                    http.get(at(cfg, base, "/sns/userinfo")).query(&[
                        ("access_token", access_token.as_str()),
                        ("openid", openid.as_str()),
                    ]),
                )
                .await?,
            )?;
            Ok(Identity {
                provider: p,
                display_name: text(&user, "nickname").unwrap_or_else(|| short(&openid)),
                subject: openid,
                tenant: None,
            })
        }
        ScanProvider::Qq => {
            // https://wiki.connect.qq.com/使用authorization_code获取access_token (Step2):
            // GET /oauth2.0/token?grant_type=authorization_code&client_id&client_secret&code
            // &redirect_uri&fmt=json → {access_token, expires_in, refresh_token} or
            // {error, error_description}
            let base = "https://graph.qq.com";
            let token = qq_ok(
                p,
                json(
                    p,
                    http.get(at(cfg, base, "/oauth2.0/token")).query(&[
                        ("grant_type", "authorization_code"),
                        ("client_id", cfg.app_id.as_str()),
                        ("client_secret", cfg.secret.as_str()),
                        ("code", code),
                        ("redirect_uri", redirect_uri),
                        ("fmt", "json"),
                    ]),
                )
                .await?,
            )?;
            let access_token =
                text(&token, "access_token").ok_or_else(|| missing(p, "access_token"))?;
            // https://wiki.connect.qq.com/获取用户openid_oauth2-0
            // GET /oauth2.0/me?access_token&fmt=json → {client_id, openid}
            let me = qq_ok(
                p,
                json(
                    p,
                    http.get(at(cfg, base, "/oauth2.0/me"))
                        .query(&[("access_token", access_token.as_str()), ("fmt", "json")]),
                )
                .await?,
            )?;
            if text(&me, "client_id").as_deref() != Some(cfg.app_id.as_str()) {
                return Err(refused(
                    p,
                    "client_id",
                    "the token was issued to another app",
                ));
            }
            let openid = text(&me, "openid").ok_or_else(|| missing(p, "openid"))?;
            // https://wiki.connect.qq.com/get_user_info
            // GET /user/get_user_info?access_token&oauth_consumer_key&openid → {ret: 0,
            // msg, nickname, …}
            let user = json(
                p,
                http.get(at(cfg, base, "/user/get_user_info")).query(&[
                    ("access_token", access_token.as_str()),
                    ("oauth_consumer_key", cfg.app_id.as_str()),
                    ("openid", openid.as_str()),
                ]),
            )
            .await?;
            if let Some(ret) = user.get("ret").and_then(Value::as_i64)
                && ret != 0
            {
                return Err(refused(
                    p,
                    &ret.to_string(),
                    &text(&user, "msg").unwrap_or_default(),
                ));
            }
            Ok(Identity {
                provider: p,
                display_name: text(&user, "nickname").unwrap_or_else(|| short(&openid)),
                subject: openid,
                tenant: None,
            })
        }
    }
}

fn feishu_ok(p: ScanProvider, v: &Value) -> Result<(), ScanError> {
    match v.get("code").and_then(Value::as_i64) {
        Some(0) | None if v.get("error").is_none() => Ok(()),
        code => Err(refused(
            p,
            &code.map_or_else(|| "-".into(), |c| c.to_string()),
            &text(v, "error_description")
                .or_else(|| text(v, "msg"))
                .or_else(|| text(v, "error"))
                .unwrap_or_default(),
        )),
    }
}

fn dingtalk_ok(p: ScanProvider, v: &Value) -> Result<(), ScanError> {
    match (text(v, "code"), text(v, "message")) {
        (Some(code), Some(message)) => Err(refused(p, &code, &message)),
        _ => Ok(()),
    }
}

fn qq_ok(p: ScanProvider, v: Value) -> Result<Value, ScanError> {
    match v.get("error") {
        Some(e) if !e.is_null() => Err(refused(
            p,
            &e.to_string(),
            &text(&v, "error_description").unwrap_or_default(),
        )),
        _ => Ok(v),
    }
}

/// The first characters of an opaque id, for a name.
fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(provider: ScanProvider) -> ProviderConfig {
        ProviderConfig {
            provider,
            app_id: "APPID".into(),
            secret: "SECRET".into(),
            agent_id: Some("1000002".into()),
            auto_join: false,
            tenant: None,
            endpoint: None,
        }
    }

    #[test]
    fn authorize_urls_are_the_providers_own() {
        let r = "https://sync.example/v1/scan/callback/x";
        let url = |p| authorize_url(&cfg(p), r, "S1");
        assert_eq!(
            url(ScanProvider::Wecom),
            "https://login.work.weixin.qq.com/wwlogin/sso/login?login_type=CorpApp&appid=APPID\
             &agentid=1000002&redirect_uri=https%3A%2F%2Fsync.example%2Fv1%2Fscan%2Fcallback%2Fx\
             &state=S1"
        );
        assert!(url(ScanProvider::Feishu).starts_with(
            "https://accounts.feishu.cn/open-apis/authen/v1/authorize?client_id=APPID&"
        ));
        assert!(url(ScanProvider::Dingtalk).contains("scope=openid+corpid"));
        assert!(
            url(ScanProvider::Wechat)
                .starts_with("https://open.weixin.qq.com/connect/qrconnect?appid=APPID")
        );
        assert!(
            url(ScanProvider::Wechat).ends_with("&scope=snsapi_login&state=S1#wechat_redirect")
        );
        assert!(url(ScanProvider::Qq).starts_with(
            "https://graph.qq.com/oauth2.0/authorize?response_type=code&client_id=APPID"
        ));
        let mut stand_in = cfg(ScanProvider::Qq);
        stand_in.endpoint = Some("http://127.0.0.1:9".into());
        assert!(
            authorize_url(&stand_in, r, "S").starts_with("http://127.0.0.1:9/oauth2.0/authorize?")
        );
    }

    #[test]
    fn provider_refusals_are_told_apart_from_success() {
        let p = ScanProvider::Feishu;
        assert!(feishu_ok(p, &serde_json::json!({"code": 0, "access_token": "t"})).is_ok());
        let e = feishu_ok(
            p,
            &serde_json::json!({"code": 20003, "error": "invalid_grant", "error_description": "code used"}),
        )
        .err();
        assert!(e.is_some_and(|e| e.zh.contains("飞书拒绝了这次登录") && e.zh.contains("20003")));
        assert!(
            dingtalk_ok(
                ScanProvider::Dingtalk,
                &serde_json::json!({"accessToken": "t"})
            )
            .is_ok()
        );
        assert!(
            qq_ok(
                ScanProvider::Qq,
                serde_json::json!({"error": 100019, "error_description": "x"})
            )
            .is_err()
        );
        assert!(
            weixin_ok(
                ScanProvider::Wechat,
                serde_json::json!({"errcode": 40029, "errmsg": "invalid code"})
            )
            .is_err()
        );
    }
}
