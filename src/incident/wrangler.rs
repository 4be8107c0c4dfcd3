//! Reading a wrangler config and deriving the API token permissions a
//! deploy needs.
//!
//! `wrangler.jsonc` / `wrangler.json` are JSON with comments and trailing
//! commas (parsed by `jsonc-parser`), `wrangler.toml` by `toml`. Bindings
//! count wherever they appear: at the top level and in every `env.<name>`
//! section. The binding → permission matrix is the one in
//! `shared/reference/permissions-and-errors.md`.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// One API token permission: scope · resource · level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission {
    /// `Account`, `Zone` or `User`.
    pub scope: &'static str,
    /// The permission group, as named in the dashboard.
    pub resource: &'static str,
    /// `Edit` or `Read`.
    pub level: &'static str,
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} · {} · {}", self.scope, self.resource, self.level)
    }
}

const fn perm(scope: &'static str, resource: &'static str, level: &'static str) -> Permission {
    Permission {
        scope,
        resource,
        level,
    }
}

/// Account · Workers Scripts · Edit.
pub const WORKERS_SCRIPTS: Permission = perm("Account", "Workers Scripts", "Edit");
/// Account · D1 · Edit.
pub const D1: Permission = perm("Account", "D1", "Edit");
/// Account · Workers R2 Storage · Edit.
pub const R2: Permission = perm("Account", "Workers R2 Storage", "Edit");
/// Account · Workers KV Storage · Edit.
pub const KV: Permission = perm("Account", "Workers KV Storage", "Edit");
/// Account · Workers Queues · Edit.
pub const QUEUES: Permission = perm("Account", "Workers Queues", "Edit");
/// Account · Vectorize · Edit.
pub const VECTORIZE: Permission = perm("Account", "Vectorize", "Edit");
/// Account · Hyperdrive · Edit.
pub const HYPERDRIVE: Permission = perm("Account", "Hyperdrive", "Edit");
/// Account · Workers AI · Read.
pub const WORKERS_AI: Permission = perm("Account", "Workers AI", "Read");
/// Account · Browser Rendering · Edit.
pub const BROWSER: Permission = perm("Account", "Browser Rendering", "Edit");
/// Account · Cloudflare Pages · Edit.
pub const PAGES: Permission = perm("Account", "Cloudflare Pages", "Edit");
/// Zone · Workers Routes · Edit.
pub const ROUTES: Permission = perm("Zone", "Workers Routes", "Edit");
/// Zone · Zone · Read.
pub const ZONE_READ: Permission = perm("Zone", "Zone", "Read");
/// Zone · DNS · Edit.
pub const DNS: Permission = perm("Zone", "DNS", "Edit");
/// Account · Account Settings · Read.
pub const ACCOUNT_SETTINGS: Permission = perm("Account", "Account Settings", "Read");

/// What the dashboard template "Edit Cloudflare Workers" grants (its
/// current list, with Workers R2 Storage; D1, Queues, Vectorize,
/// Hyperdrive, Workers AI and Browser Rendering are still absent).
pub const EDIT_WORKERS_TEMPLATE: &[Permission] = &[
    WORKERS_SCRIPTS,
    KV,
    perm("Account", "Workers Tail", "Read"),
    R2,
    ROUTES,
    ACCOUNT_SETTINGS,
    perm("User", "User Details", "Read"),
    perm("User", "Memberships", "Read"),
];

/// The permissions a config needs, and why.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Needs {
    /// Each permission with the config keys that call for it.
    pub permissions: BTreeSet<(Permission, String)>,
    /// Whether an `account_id` is set (otherwise wrangler looks the account up).
    pub account_id_set: bool,
    /// The `account_id` values set, at the top level and in `env` sections.
    pub account_ids: BTreeSet<String>,
}

impl Needs {
    /// The distinct permissions, in a stable order.
    pub fn distinct(&self) -> Vec<Permission> {
        let mut v: Vec<Permission> = self.permissions.iter().map(|(p, _)| *p).collect();
        v.dedup();
        v
    }

    /// The one account the configs name, if they name exactly one and it
    /// has an account id's shape (32 hex digits): anything else is never
    /// put in a link.
    pub fn single_account(&self) -> Option<&str> {
        match self.account_ids.len() {
            1 => self
                .account_ids
                .first()
                .map(String::as_str)
                .filter(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())),
            _ => None,
        }
    }

    /// The reasons given for `p`, joined.
    pub fn reasons(&self, p: Permission) -> String {
        let r: Vec<&str> = self
            .permissions
            .iter()
            .filter(|(q, _)| *q == p)
            .map(|(_, why)| why.as_str())
            .collect();
        r.join(", ")
    }

    fn add(&mut self, p: Permission, why: impl Into<String>) {
        self.permissions.insert((p, why.into()));
    }
}

/// Why a config could not be read.
#[derive(Debug)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// Parses a wrangler config file (by its extension) into JSON values.
///
/// JSONC is JSON plus comments and trailing commas, as wrangler reads it:
/// JSON5 leniencies (unquoted keys, single quotes, missing commas, hex
/// numbers) are errors, and so is a file without a top-level object. A
/// parse error quotes the config (TOML shows the broken line): it is
/// masked with [`crate::mask::sanitize::mask_excerpt`], so a credential on that
/// line is not printed.
pub fn parse(path: &Path, text: &str) -> Result<Value, ConfigError> {
    let name = crate::mask::sanitize::display_path(path);
    let invalid = |what: &str, e: &dyn std::fmt::Display| {
        ConfigError(crate::mask::sanitize::mask_excerpt(&format!(
            "{name}: not valid {what}: {e}"
        )))
    };
    let value = if path.extension().is_some_and(|e| e == "toml") {
        toml::from_str::<Value>(text).map_err(|e| invalid("TOML", &e))?
    } else {
        let options = jsonc_parser::ParseOptions {
            allow_comments: true,
            allow_trailing_commas: true,
            allow_loose_object_property_names: false,
            allow_missing_commas: false,
            allow_single_quoted_strings: false,
            allow_hexadecimal_numbers: false,
            allow_unary_plus_numbers: false,
            allow_bare_decimal_point_numbers: false,
            allow_non_finite_numbers: false,
            allow_extended_string_escapes: false,
        };
        jsonc_parser::parse_to_serde_value::<Value>(text, &options)
            .map_err(|e| invalid("JSONC", &e))?
    };
    if !value.is_object() {
        return Err(ConfigError(format!(
            "{name}: not a wrangler config: it holds no top-level object"
        )));
    }
    Ok(value)
}

fn non_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

fn section_needs(section: &Value, at: &str, needs: &mut Needs) {
    let key = |k: &str| format!("{at}{k}");
    const BINDINGS: &[(&str, Permission)] = &[
        ("d1_databases", D1),
        ("r2_buckets", R2),
        ("kv_namespaces", KV),
        ("vectorize", VECTORIZE),
        ("hyperdrive", HYPERDRIVE),
        ("ai", WORKERS_AI),
        ("browser", BROWSER),
    ];
    for (name, p) in BINDINGS {
        if non_empty(section.get(*name)) {
            needs.add(*p, key(name));
        }
    }
    if let Some(q) = section.get("queues") {
        for part in ["producers", "consumers"] {
            if non_empty(q.get(part)) {
                needs.add(QUEUES, key(&format!("queues.{part}")));
            }
        }
    }
    let routes: Vec<&Value> = match (section.get("routes"), section.get("route")) {
        (Some(Value::Array(r)), _) => r.iter().collect(),
        (_, Some(r)) => vec![r],
        _ => Vec::new(),
    };
    if !routes.is_empty() {
        needs.add(ROUTES, key("routes"));
        needs.add(ZONE_READ, key("routes"));
        if routes
            .iter()
            .any(|r| r.get("custom_domain") == Some(&Value::Bool(true)))
        {
            needs.add(DNS, key("routes[].custom_domain"));
        }
    }
    if section
        .get("account_id")
        .is_some_and(|v| non_empty(Some(v)))
    {
        needs.account_id_set = true;
        if let Some(Value::String(id)) = section.get("account_id") {
            needs.account_ids.insert(id.clone());
        }
    }
}

/// The permissions a parsed config needs.
pub fn needs(config: &Value) -> Needs {
    let mut needs = Needs::default();
    let pages = non_empty(config.get("pages_build_output_dir"));
    if pages {
        needs.add(PAGES, "pages_build_output_dir (wrangler pages deploy)");
    }
    if non_empty(config.get("main")) || !pages {
        needs.add(WORKERS_SCRIPTS, "main (wrangler deploy)");
    }
    section_needs(config, "", &mut needs);
    if let Some(Value::Object(envs)) = config.get("env") {
        for (name, section) in envs {
            section_needs(section, &format!("env.{name}."), &mut needs);
        }
    }
    needs
}

/// Reads and merges the needs of several config files.
pub fn needs_of_files(paths: &[std::path::PathBuf]) -> Result<Needs, ConfigError> {
    let mut all = Needs::default();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError(format!(
                "{}: {e}",
                crate::mask::sanitize::display_path(path)
            ))
        })?;
        let n = needs(&parse(path, &text)?);
        all.permissions.extend(n.permissions);
        all.account_id_set |= n.account_id_set;
        all.account_ids.extend(n.account_ids);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc_with_comments_trailing_commas_and_envs() {
        let text = r#"// top
        {
          "name": "api", "main": "src/index.ts", /* block */
          "d1_databases": [{ "binding": "DB" },],
          "env": { "staging": { "r2_buckets": [{ "binding": "B" }], }, },
        }"#;
        let n = needs(&parse(Path::new("wrangler.jsonc"), text).unwrap());
        assert_eq!(n.distinct(), vec![D1, R2, WORKERS_SCRIPTS]);
        assert_eq!(n.reasons(R2), "env.staging.r2_buckets");
        assert!(!n.account_id_set);
    }

    #[test]
    fn toml_queues_and_custom_domain() {
        let text = r#"
name = "w"
main = "index.js"
account_id = "abc"
[[queues.producers]]
binding = "Q"
[[routes]]
pattern = "api.example.com"
custom_domain = true
"#;
        let n = needs(&parse(Path::new("wrangler.toml"), text).unwrap());
        assert_eq!(
            n.distinct(),
            vec![QUEUES, WORKERS_SCRIPTS, DNS, ROUTES, ZONE_READ]
        );
        assert!(n.account_id_set);
    }

    #[test]
    fn pages_only() {
        let n = needs(
            &parse(
                Path::new("wrangler.toml"),
                "name = \"site\"\npages_build_output_dir = \"dist\"\n",
            )
            .unwrap(),
        );
        assert_eq!(n.distinct(), vec![PAGES]);
    }

    #[test]
    fn bad_config_is_an_error() {
        assert!(parse(Path::new("wrangler.jsonc"), "{ nope").is_err());
    }

    #[test]
    fn invalid_jsonc_is_refused() {
        for text in [
            "",
            "// only a comment\n",
            "[1, 2]",
            "{ name: \"x\" }",
            "{ \"name\": 'x' }",
            "{ \"name\": \"x\" \"main\": \"y\" }",
            "{ \"n\": 0x1F }",
            "{ \"n\": +1 }",
            "{ \"n\": .5 }",
            "{ \"n\": NaN }",
            "{ \"s\": \"\\x41\" }",
            "{ \"a\": 1 } { \"b\": 2 }",
        ] {
            let err = parse(Path::new("wrangler.jsonc"), text)
                .expect_err(&format!("accepted invalid JSONC: {text}"));
            assert!(err.to_string().starts_with("wrangler.jsonc: not"), "{err}");
        }
    }

    #[test]
    fn toml_parse_error_masks_the_quoted_line() {
        let mut g = crate::fake::FakeGen::new(21);
        let legacy = g.legacy_token();
        let scannable = g.scannable("cfut_", true);
        for line in [
            format!("token = {legacy}\n"),
            format!("token = \"{legacy}\" x\n"),
            format!("[{scannable}\n"),
        ] {
            let err = parse(Path::new("wrangler.toml"), &format!("name = \"w\"\n{line}"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("not valid TOML"),
                "{}",
                crate::mask::sanitize::mask_text(&err)
            );
            assert!(
                !err.contains(&legacy[..8]) && !err.contains(&scannable[5..13]),
                "the quoted line was printed unmasked"
            );
            assert!(
                err.contains("[REDACTED_CF_TOKEN]"),
                "no marker where the value stood"
            );
        }
    }
}
