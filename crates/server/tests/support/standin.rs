//! A stand-in for the five sign-in providers on loopback, speaking the same paths,
//! parameters and JSON as the real ones (each handler cites the documentation it follows;
//! the same pages are cited in the server's `src/scan/providers.rs`). A test points a
//! provider's `endpoint` here and "scans" with [`StandIn::scan`]: like the phone, it reads
//! the authorize URL the server made, mints a single-use code for a person and follows the
//! redirect to the server's callback.

// Each test binary uses a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// Someone with an account at the provider.
#[derive(Clone, Debug)]
pub struct Person {
    /// The provider's stable id (WeCom userid or openid, Feishu open_id, DingTalk unionId,
    /// WeChat and QQ openid).
    pub id: String,
    pub name: String,
    /// WeCom: whether they are a member of the corp; Feishu: tenant_key; DingTalk: corpId.
    pub tenant: Option<String>,
}

impl Person {
    pub fn new(id: &str, name: &str, tenant: Option<&str>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            tenant: tenant.map(str::to_string),
        }
    }
}

#[derive(Default)]
struct Inner {
    /// Single-use codes → (app id, person).
    codes: HashMap<String, (String, Person)>,
    /// Access tokens → person.
    tokens: HashMap<String, Person>,
    /// Apps: id → secret.
    apps: HashMap<String, String>,
    next: u64,
}

#[derive(Clone, Default)]
pub struct StandIn {
    inner: Arc<Mutex<Inner>>,
    pub base: String,
}

type S = State<StandIn>;
type Q = Query<HashMap<String, String>>;

impl StandIn {
    /// Starts the stand-in knowing these apps (id, secret).
    pub async fn start(
        apps: &[(&str, &str)],
    ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let mut me = StandIn {
            base: format!("http://{}", socket.local_addr()?),
            ..Default::default()
        };
        {
            let mut inner = me.lock();
            for (id, secret) in apps {
                inner.apps.insert((*id).into(), (*secret).into());
            }
        }
        let app = Router::new()
            .route("/cgi-bin/gettoken", get(wecom_gettoken))
            .route("/cgi-bin/auth/getuserinfo", get(wecom_getuserinfo))
            .route("/open-apis/authen/v2/oauth/token", post(feishu_token))
            .route("/open-apis/authen/v1/user_info", get(feishu_user_info))
            .route("/v1.0/oauth2/userAccessToken", post(dingtalk_token))
            .route("/v1.0/contact/users/me", get(dingtalk_me))
            .route("/sns/oauth2/access_token", get(wechat_token))
            .route("/sns/userinfo", get(wechat_userinfo))
            .route("/oauth2.0/token", get(qq_token))
            .route("/oauth2.0/me", get(qq_me))
            .route("/user/get_user_info", get(qq_user_info))
            .with_state(me.clone());
        tokio::spawn(async move { axum::serve(socket, app).await });
        me.base = me.base.clone();
        Ok(me)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mint(&self, prefix: &str) -> String {
        let mut inner = self.lock();
        inner.next += 1;
        format!("{prefix}{:06}", inner.next)
    }

    /// A code the provider issued to `app_id` for `person` (what its redirect carries).
    pub fn code_for(&self, app_id: &str, person: &Person) -> String {
        let code = self.mint("CODE");
        self.lock()
            .codes
            .insert(code.clone(), (app_id.into(), person.clone()));
        code
    }

    /// The phone: opens `authorize_url` (checking it is this provider's page for
    /// `app_id`), signs in as `person`, and is redirected to the server's callback.
    /// Answers the callback's status, its page and the code used.
    pub async fn scan(
        &self,
        authorize_url: &str,
        person: &Person,
    ) -> Result<(u16, String, String), Box<dyn std::error::Error + Send + Sync>> {
        let url = reqwest::Url::parse(authorize_url)?;
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let app_id = q
            .get("appid")
            .or_else(|| q.get("client_id"))
            .ok_or("no app id in the authorize URL")?;
        let redirect = q.get("redirect_uri").ok_or("no redirect_uri")?;
        let state = q.get("state").ok_or("no state")?;
        let code = self.code_for(app_id, person);
        // DingTalk redirects with authCode (and code); the others with code.
        let key = if url.path() == "/oauth2/auth" {
            "authCode"
        } else {
            "code"
        };
        let (status, body) = follow(redirect, &[(key, &code), ("state", state)]).await?;
        Ok((status, body, code))
    }

    fn take_code(&self, app_id: &str, code: &str) -> Option<Person> {
        let mut inner = self.lock();
        match inner.codes.remove(code) {
            Some((app, person)) if app == app_id => Some(person),
            _ => None,
        }
    }

    fn token_for(&self, person: Person) -> String {
        let token = self.mint("TOKEN");
        self.lock().tokens.insert(token.clone(), person);
        token
    }

    fn person(&self, token: &str) -> Option<Person> {
        self.lock().tokens.get(token).cloned()
    }

    fn app_ok(&self, id: &str, secret: &str) -> bool {
        self.lock().apps.get(id).is_some_and(|s| s == secret)
    }
}

/// The phone's browser following a redirect to `url` with these parameters.
pub async fn follow(
    url: &str,
    params: &[(&str, &str)],
) -> Result<(u16, String), Box<dyn std::error::Error + Send + Sync>> {
    let resp = reqwest::Client::new().get(url).query(params).send().await?;
    Ok((resp.status().as_u16(), resp.text().await?))
}

fn arg<'a>(q: &'a HashMap<String, String>, k: &str) -> &'a str {
    q.get(k).map(String::as_str).unwrap_or_default()
}

// ---- 企业微信 WeCom ----

/// https://developer.work.weixin.qq.com/document/path/91039 (获取access_token):
/// GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET.
async fn wecom_gettoken(State(s): S, Query(q): Q) -> Json<Value> {
    if !s.app_ok(arg(&q, "corpid"), arg(&q, "corpsecret")) {
        return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    let corp = arg(&q, "corpid").to_string();
    let token = s.token_for(Person::new(&corp, "", None));
    Json(json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}))
}

/// https://developer.work.weixin.qq.com/document/path/98177 (获取用户登录身份):
/// GET /cgi-bin/auth/getuserinfo?access_token&code; a corp member → userid, others →
/// openid; a used or unknown code → 40029 invalid code.
async fn wecom_getuserinfo(State(s): S, Query(q): Q) -> Json<Value> {
    let Some(corp) = s.person(arg(&q, "access_token")) else {
        return Json(json!({"errcode": 40014, "errmsg": "invalid access_token"}));
    };
    match s.take_code(&corp.id, arg(&q, "code")) {
        Some(p) if p.tenant.is_some() => {
            Json(json!({"errcode": 0, "errmsg": "ok", "userid": p.id}))
        }
        Some(p) => Json(json!({"errcode": 0, "errmsg": "ok", "openid": p.id})),
        None => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}

// ---- 飞书 Feishu ----

/// https://open.feishu.cn/document/authentication-management/access-token/get-user-access-token
/// POST /open-apis/authen/v2/oauth/token (JSON).
async fn feishu_token(State(s): S, Json(b): Json<Value>) -> (StatusCode, Json<Value>) {
    let f = |k: &str| {
        b.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if f("grant_type") != "authorization_code" || f("redirect_uri").is_empty() {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": 20001, "error": "invalid_request", "error_description": "bad request"}),
            ),
        );
    }
    if !s.app_ok(&f("client_id"), &f("client_secret")) {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": 20002, "error": "invalid_client", "error_description": "client authentication failed"}),
            ),
        );
    }
    match s.take_code(&f("client_id"), &f("code")) {
        Some(p) => (
            StatusCode::OK,
            Json(
                json!({"code": 0, "access_token": s.token_for(p), "expires_in": 7200,
                        "token_type": "Bearer", "scope": ""}),
            ),
        ),
        None => (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": 20003, "error": "invalid_grant",
                        "error_description": "The authorization code is invalid or expired"})),
        ),
    }
}

fn bearer(h: &HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_start_matches("Bearer ").to_string())
        .unwrap_or_default()
}

/// https://open.feishu.cn/document/server-docs/authentication-management/login-state-management/get
/// GET /open-apis/authen/v1/user_info (Authorization: Bearer user_access_token).
async fn feishu_user_info(State(s): S, h: HeaderMap) -> (StatusCode, Json<Value>) {
    match s.person(&bearer(&h, "authorization")) {
        Some(p) => (
            StatusCode::OK,
            Json(json!({"code": 0, "msg": "success", "data": {
                "name": p.name, "en_name": "", "open_id": p.id, "union_id": format!("on_{}", p.id),
                "user_id": format!("u_{}", p.id), "tenant_key": p.tenant}})),
        ),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": 99991668, "msg": "Invalid access token for authorization"})),
        ),
    }
}

// ---- 钉钉 DingTalk ----

/// https://open.dingtalk.com/document/orgapp/obtain-user-token
/// POST /v1.0/oauth2/userAccessToken (JSON clientId, clientSecret, code, grantType).
async fn dingtalk_token(State(s): S, Json(b): Json<Value>) -> (StatusCode, Json<Value>) {
    let f = |k: &str| {
        b.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if f("grantType") != "authorization_code" || !s.app_ok(&f("clientId"), &f("clientSecret")) {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"code": "InvalidClient", "message": "应用凭证不合法", "requestid": "r1"})),
        );
    }
    match s.take_code(&f("clientId"), &f("code")) {
        Some(p) => {
            let corp = p.tenant.clone();
            (
                StatusCode::OK,
                Json(
                    json!({"accessToken": s.token_for(p), "refreshToken": "R", "expireIn": 7200,
                            "corpId": corp}),
                ),
            )
        }
        None => (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"code": "InvalidAuthCode", "message": "不合法的临时授权码", "requestid": "r2"}),
            ),
        ),
    }
}

/// https://open.dingtalk.com/document/orgapp/dingtalk-retrieve-user-information
/// GET /v1.0/contact/users/me (x-acs-dingtalk-access-token).
async fn dingtalk_me(State(s): S, h: HeaderMap) -> (StatusCode, Json<Value>) {
    match s.person(&bearer(&h, "x-acs-dingtalk-access-token")) {
        Some(p) => (
            StatusCode::OK,
            Json(
                json!({"nick": p.name, "unionId": p.id, "openId": format!("o_{}", p.id),
                        "avatarUrl": "", "stateCode": "86"}),
            ),
        ),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "InvalidAuthentication", "message": "不合法的access_token"})),
        ),
    }
}

// ---- 微信 WeChat ----

/// https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Wechat_Login.html
/// 第二步: GET /sns/oauth2/access_token?appid&secret&code&grant_type=authorization_code.
async fn wechat_token(State(s): S, Query(q): Q) -> Json<Value> {
    if !s.app_ok(arg(&q, "appid"), arg(&q, "secret")) {
        return Json(json!({"errcode": 40125, "errmsg": "invalid appsecret"}));
    }
    match s.take_code(arg(&q, "appid"), arg(&q, "code")) {
        Some(p) => {
            let openid = p.id.clone();
            Json(
                json!({"access_token": s.token_for(p), "expires_in": 7200, "refresh_token": "R",
                        "openid": openid, "scope": "snsapi_login", "unionid": format!("un_{openid}")}),
            )
        }
        None => Json(json!({"errcode": 40029, "errmsg": "invalid code"})),
    }
}

/// https://developers.weixin.qq.com/doc/oplatform/Website_App/WeChat_Login/Authorized_Interface_Calling_UnionID.html
/// GET /sns/userinfo?access_token&openid.
async fn wechat_userinfo(State(s): S, Query(q): Q) -> Json<Value> {
    match s.person(arg(&q, "access_token")) {
        Some(p) if p.id == arg(&q, "openid") => Json(json!({
            "openid": p.id, "nickname": p.name, "sex": 1, "province": "", "city": "",
            "country": "CN", "headimgurl": "", "privilege": [], "unionid": format!("un_{}", p.id)})),
        _ => Json(json!({"errcode": 40003, "errmsg": "invalid openid"})),
    }
}

// ---- QQ 互联 ----

/// https://wiki.connect.qq.com/使用authorization_code获取access_token (Step2, fmt=json).
async fn qq_token(State(s): S, Query(q): Q) -> Json<Value> {
    if arg(&q, "grant_type") != "authorization_code"
        || !s.app_ok(arg(&q, "client_id"), arg(&q, "client_secret"))
    {
        return Json(json!({"error": 100016, "error_description": "access token check failed"}));
    }
    match s.take_code(arg(&q, "client_id"), arg(&q, "code")) {
        Some(p) => {
            let mut p = p;
            // The token remembers its app (for /oauth2.0/me's client_id).
            p.tenant = Some(arg(&q, "client_id").to_string());
            Json(
                json!({"access_token": s.token_for(p), "expires_in": "7776000",
                        "refresh_token": "R"}),
            )
        }
        None => Json(json!({"error": 100019, "error_description": "code to access token error"})),
    }
}

/// https://wiki.connect.qq.com/获取用户openid_oauth2-0 (fmt=json).
async fn qq_me(State(s): S, Query(q): Q) -> Json<Value> {
    match s.person(arg(&q, "access_token")) {
        Some(p) => Json(json!({"client_id": p.tenant, "openid": p.id})),
        None => Json(json!({"error": 100016, "error_description": "access token check failed"})),
    }
}

/// https://wiki.connect.qq.com/get_user_info
async fn qq_user_info(State(s): S, Query(q): Q) -> Json<Value> {
    match s.person(arg(&q, "access_token")) {
        Some(p) if p.id == arg(&q, "openid") => {
            Json(json!({"ret": 0, "msg": "", "nickname": p.name, "gender": "男"}))
        }
        _ => Json(
            json!({"ret": -1, "msg": "client request's parameters are invalid, invalid openid"}),
        ),
    }
}
