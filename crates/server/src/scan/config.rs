//! Which providers a server signs in with: `[scan.<provider>]` tables of the `--config`
//! file and `QUICKREPLY_<PROVIDER>_<KEY>` environment variables (an environment variable
//! wins over the file), plus `public_url`. See the README's "Scan to sign in".

use std::collections::BTreeMap;

use quickreply_proto::api::ScanProvider;
use serde::Deserialize;

/// One `[scan.<provider>]` table of the `--config` file.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderFile {
    pub app_id: Option<String>,
    pub secret: Option<String>,
    pub agent_id: Option<String>,
    pub auto_join: Option<bool>,
    pub tenant: Option<String>,
    pub endpoint: Option<String>,
}

impl std::fmt::Debug for ProviderFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderFile")
            .field("app_id", &self.app_id)
            .field("secret", &self.secret.as_ref().map(|_| "<hidden>"))
            .field("agent_id", &self.agent_id)
            .field("auto_join", &self.auto_join)
            .field("tenant", &self.tenant)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// A provider the server signs in with.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    pub provider: ScanProvider,
    /// WeCom: the corp id (CorpID); Feishu: App ID; DingTalk: Client ID (AppKey); WeChat:
    /// AppID; QQ: APP ID.
    pub app_id: String,
    /// The app's secret (never logged, never shown).
    pub secret: String,
    /// WeCom: the self-built app's AgentId.
    pub agent_id: Option<String>,
    /// Members of the team's own corp (WeCom) or tenant (Feishu, DingTalk) who scan
    /// without a linked identity join as agents without approval.
    pub auto_join: bool,
    /// Feishu: the company's tenant_key; DingTalk: its corpId (whose people auto-join).
    pub tenant: Option<String>,
    /// Replaces the scheme, host and port of every provider URL (a stand-in in tests, or
    /// a forwarding proxy); paths and parameters stay the provider's.
    pub endpoint: Option<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field("app_id", &self.app_id)
            .field("secret", &"<hidden>")
            .field("agent_id", &self.agent_id)
            .field("auto_join", &self.auto_join)
            .field("tenant", &self.tenant)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// Scanning to sign in, as configured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanConfig {
    /// `https://sync.example.com`: where phones reach this server (the providers redirect
    /// to `<public_url>/v1/scan/callback/<provider>`); `None`: the address it listens on.
    pub public_url: Option<String>,
    pub providers: Vec<ProviderConfig>,
    /// `endpoint` of a `[scan.<provider>]` table without `app_id` and `secret`: for the
    /// provider the owner sets on the admin page (a stand-in or a forwarding proxy).
    pub endpoints: BTreeMap<ScanProvider, String>,
}

impl ScanConfig {
    pub fn provider(&self, provider: ScanProvider) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.provider == provider)
    }
}

/// The providers of the file's `[scan.*]` tables and the environment (`env` looks a
/// variable up), checked.
pub fn providers(
    file: Option<&BTreeMap<String, ProviderFile>>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Vec<ProviderConfig>, BTreeMap<ScanProvider, String>), String> {
    if let Some(file) = file
        && let Some(unknown) = file.keys().find(|k| ScanProvider::parse(k).is_none())
    {
        return Err(format!(
            "[scan.{unknown}] is not a provider: use wecom, feishu, dingtalk, wechat or qq"
        ));
    }
    let mut out = Vec::new();
    let mut endpoints = BTreeMap::new();
    for provider in ScanProvider::ALL {
        let name = provider.as_str();
        let from_file = file.and_then(|f| f.get(name)).cloned().unwrap_or_default();
        let var = |key: &str| {
            env(&format!("QUICKREPLY_{}_{key}", name.to_ascii_uppercase()))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let text = |v: Option<String>| v.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let app_id = var("APP_ID").or(text(from_file.app_id));
        let secret = var("SECRET").or(text(from_file.secret));
        let agent_id = var("AGENT_ID").or(text(from_file.agent_id));
        let tenant = var("TENANT").or(text(from_file.tenant));
        let endpoint = var("ENDPOINT").or(text(from_file.endpoint));
        let auto_join = match var("AUTO_JOIN") {
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(format!(
                        "QUICKREPLY_{}_AUTO_JOIN must be true or false",
                        name.to_ascii_uppercase()
                    ));
                }
            },
            None => from_file.auto_join.unwrap_or(false),
        };
        if let Some(e) = &endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            return Err(format!(
                "{name}: endpoint must be an http:// or https:// URL"
            ));
        }
        let endpoint = endpoint.map(|e| e.trim_end_matches('/').to_string());
        let (app_id, secret) = match (app_id, secret) {
            (None, None) => {
                if let Some(e) = endpoint {
                    endpoints.insert(provider, e);
                }
                continue;
            }
            (Some(a), Some(s)) => (a, s),
            _ => {
                return Err(format!(
                    "{name}: give both app_id and secret (QUICKREPLY_{u}_APP_ID and \
                     QUICKREPLY_{u}_SECRET, or [scan.{name}] in the config file)",
                    u = name.to_ascii_uppercase()
                ));
            }
        };
        let cfg = ProviderConfig {
            provider,
            app_id,
            secret,
            agent_id,
            auto_join,
            tenant,
            endpoint,
        };
        check(&cfg)?;
        out.push(cfg);
    }
    Ok((out, endpoints))
}

/// What a provider needs (from the file, the environment or the admin page), in
/// English: WeCom its AgentId; `auto_join` only for a company's own people (WeCom, and
/// Feishu or DingTalk with the tenant whose people join).
pub fn check(cfg: &ProviderConfig) -> Result<(), String> {
    let provider = cfg.provider;
    let name = provider.as_str();
    if cfg.app_id.trim().is_empty() || cfg.secret.trim().is_empty() {
        return Err(format!("{name}: give both app_id and secret"));
    }
    if provider == ScanProvider::Wecom && cfg.agent_id.is_none() {
        return Err("wecom needs agent_id: the AgentId of the self-built app".into());
    }
    if cfg.auto_join {
        match provider {
            ScanProvider::Wecom => {}
            ScanProvider::Feishu | ScanProvider::Dingtalk if cfg.tenant.is_none() => {
                return Err(format!(
                    "{name}: auto_join needs tenant, the {} of your company, so that only \
                     its people join",
                    if provider == ScanProvider::Feishu {
                        "tenant_key"
                    } else {
                        "corpId"
                    }
                ));
            }
            ScanProvider::Feishu | ScanProvider::Dingtalk => {}
            ScanProvider::Wechat | ScanProvider::Qq => {
                return Err(format!(
                    "{name}: auto_join is for WeCom, Feishu and DingTalk (a company's own \
                     people); anyone has a {} account",
                    provider.name_en()
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn providers_from_the_file_and_the_environment() -> Result<(), Box<dyn std::error::Error>> {
        let file: BTreeMap<String, ProviderFile> = toml::from_str(
            "[wecom]\napp_id = \"ww1\"\nsecret = \"s1\"\nagent_id = \"1000002\"\nauto_join = true\n\
             [qq]\napp_id = \"101\"\nsecret = \"k\"\n",
        )?;
        let env = |k: &str| match k {
            "QUICKREPLY_FEISHU_APP_ID" => Some("cli_1".to_string()),
            "QUICKREPLY_FEISHU_SECRET" => Some("fs".to_string()),
            "QUICKREPLY_QQ_SECRET" => Some("from-env".to_string()),
            _ => None,
        };
        let (got, _) = providers(Some(&file), &env)?;
        let names: Vec<_> = got.iter().map(|p| p.provider).collect();
        assert_eq!(
            names,
            [ScanProvider::Wecom, ScanProvider::Feishu, ScanProvider::Qq]
        );
        assert!(got[0].auto_join);
        assert_eq!(got[2].secret, "from-env");
        assert!(
            !format!("{got:?}").contains("from-env"),
            "a secret in Debug"
        );
        Ok(())
    }

    #[test]
    fn an_endpoint_alone_is_for_the_provider_set_on_the_admin_page()
    -> Result<(), Box<dyn std::error::Error>> {
        let file: BTreeMap<String, ProviderFile> =
            toml::from_str("[feishu]\nendpoint = \"http://127.0.0.1:9/\"\n")?;
        let (got, endpoints) = providers(Some(&file), &no_env)?;
        assert!(got.is_empty());
        assert_eq!(
            endpoints.get(&ScanProvider::Feishu).map(String::as_str),
            Some("http://127.0.0.1:9")
        );
        Ok(())
    }

    #[test]
    fn incomplete_or_unsafe_providers_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        for (toml, needle) in [
            ("[wecom]\napp_id = \"ww1\"\n", "both app_id and secret"),
            ("[wecom]\napp_id = \"a\"\nsecret = \"b\"\n", "agent_id"),
            (
                "[feishu]\napp_id = \"a\"\nsecret = \"b\"\nauto_join = true\n",
                "tenant_key",
            ),
            (
                "[wechat]\napp_id = \"a\"\nsecret = \"b\"\nauto_join = true\n",
                "auto_join is for",
            ),
            ("[weibo]\napp_id = \"a\"\n", "not a provider"),
        ] {
            let file: BTreeMap<String, ProviderFile> = toml::from_str(toml)?;
            let err = providers(Some(&file), &no_env).err().unwrap_or_default();
            assert!(err.contains(needle), "{toml}: {err}");
        }
        Ok(())
    }
}
