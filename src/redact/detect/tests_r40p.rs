//! Fortieth round, task pw (`evidence_r40p`): Perl DBI's `connect` password, PowerShell's
//! `ConvertTo-SecureString 'PLAIN' -AsPlainText` without a password keyword, a Confluence
//! wiki-markup table's `Secret` column.

use super::tests_support::hits;

/// (type, text) of every hit.
fn found(text: &str) -> Vec<(String, String)> {
    hits(text)
        .into_iter()
        .map(|(e, s, _)| (e.name().to_string(), s))
        .collect()
}

fn has_password(f: &[(String, String)], v: &str) -> bool {
    f.iter().any(|(t, x)| t == "PASSWORD" && x == v)
}

fn no_password(f: &[(String, String)], v: &str) -> bool {
    !f.iter().any(|(t, x)| t == "PASSWORD" && x.contains(v))
}

/// The text, and the text as a JSON string's value.
fn both(text: &str) -> [String; 2] {
    [
        text.to_string(),
        serde_json::json!({ "body": text }).to_string(),
    ]
}

/// Every cut of `text` (as text and as a JSON body) scans without a panic.
fn every_cut(text: &str) {
    for t in both(text) {
        for cut in 0..=t.len() {
            if t.is_char_boundary(cut) {
                let _ = hits(&t[..cut]);
            }
        }
    }
}

#[test]
fn dbi_connect_third_argument() {
    let cases = [
        (
            "my $dbh = DBI->connect('dbi:Pg:dbname=crm;host=172.17.100.43', 'crm', 'VkYy2cocMpi', { RaiseError => 1 });\n",
            "VkYy2cocMpi",
        ),
        (
            "my $dbh = DBI->connect(\"DBI:mysql:database=shop;host=10.57.80.96\", \"export\", \"thunder1997#\") or die;\n",
            "thunder1997#",
        ),
        (
            "my $dbh = DBI->connect('dbi:Oracle:legacy;host=10.79.237.218', 'report', 'Regen1990*')\n    or die $DBI::errstr;\n",
            "Regen1990*",
        ),
        (
            "my $dbh = DBI->connect(\n    'dbi:Pg:dbname=crm',\n    $user,\n    'sonne-fiets-tilleul49',\n    { AutoCommit => 0 },\n);\n",
            "sonne-fiets-tilleul49",
        ),
        (
            "$dbh = DBI->connect_cached('dbi:SQLite:dbname=x', 'u', 'p1m13nt0#44');",
            "p1m13nt0#44",
        ),
    ];
    for (text, pw) in cases {
        for t in both(text) {
            let f = found(&t);
            assert!(has_password(&f, pw), "{t}: {f:?}");
        }
        every_cut(text);
    }
}

#[test]
fn dbi_connect_look_alikes() {
    for (text, v) in [
        // A variable, an interpolated string, a placeholder, too short, no third argument.
        (
            "my $dbh = DBI->connect($dsn, $user, $pass, { RaiseError => 1 });",
            "$pass",
        ),
        (
            "my $dbh = DBI->connect('dbi:Pg:x', 'crm', \"$ENV{DB_PASS}\");",
            "DB_PASS",
        ),
        (
            "my $dbh = DBI->connect('dbi:Pg:x', 'crm', 'changeme');",
            "changeme",
        ),
        ("my $dbh = DBI->connect('dbi:Pg:x', 'crm', '');", "crm"),
        ("my $dbh = DBI->connect('dbi:Pg:x', 'crm');", "crm"),
        (
            "my $dbh = MyDBI->connect('dbi:Pg:x', 'crm', 'Kx#mPqrz');",
            "Kx#mPqrz",
        ),
        (
            "my $dbh = DBI->disconnect('dbi:Pg:x', 'crm', 'Kx#mPqrz');",
            "Kx#mPqrz",
        ),
        (
            "my $dbh = DBI->connect('dbi:Pg:x', 'crm', 'Kx#mPqrz' . $x);",
            "Kx#mPqrz",
        ),
    ] {
        for t in both(text) {
            let f = found(&t);
            assert!(no_password(&f, v), "{t}: {f:?}");
        }
        every_cut(text);
    }
}

#[test]
fn secure_string_without_a_password_keyword() {
    let cases = [
        (
            "PS C:\\> $cred = New-Object PSCredential('giulia_ops', (ConvertTo-SecureString 'zut026BP&9l' -AsPlainText -Force))\n",
            "zut026BP&9l",
        ),
        (
            "$cred = New-Object PSCredential('corp\\svc_backup', (ConvertTo-SecureString 'Ku&nU$FHQx' -AsPlainText -Force))\n",
            "Ku&nU$FHQx",
        ),
        (
            "Connect-Thing -Credential (New-Object PSCredential('u', (ConvertTo-SecureString -String \"lantern-walrus\" -AsPlainText -Force)))",
            "lantern-walrus",
        ),
        (
            "PS C:\\> Set-ADAccountPassword -Identity abrinkmann -Reset -NewPassword (ConvertTo-SecureString -AsPlainText 'Schneeball_' -Force)\n",
            "Schneeball_",
        ),
        (
            "$s = ConvertTo-SecureString -AsPlainText -Force -String 'marmalade-lighthouse'",
            "marmalade-lighthouse",
        ),
    ];
    for (text, pw) in cases {
        for t in both(text) {
            let f = found(&t);
            assert!(has_password(&f, pw), "{t}: {f:?}");
        }
        every_cut(text);
    }
}

#[test]
fn secure_string_look_alikes() {
    for (text, v) in [
        // A variable, an interpolated string, a key-encrypted string, another cmdlet, the
        // switch alone, a Key Vault secret's value (a GENERIC_SECRET, not a password).
        ("$c = New-Object PSCredential('u', (ConvertTo-SecureString $plain -AsPlainText -Force))", "plain"),
        ("$c = New-Object PSCredential('u', (ConvertTo-SecureString \"$env:DB_PASS\" -AsPlainText -Force))", "DB_PASS"),
        ("$s = ConvertTo-SecureString '01000000d08c9ddf0115d1118c' -Key (1..16)", "01000000d08c9ddf0115d1118c"),
        ("$s = ConvertFrom-SecureString 'Lindwurm2024' -AsPlainText", "Lindwurm2024"),
        ("Use -AsPlainText with 'care' when you test.", "care"),
        ("$s = ConvertTo-SecureString 'abc' -AsPlainText -Force", "abc"),
        ("Set-AzKeyVaultSecret -VaultName kv -Name app -SecretValue (ConvertTo-SecureString 'TLw8Q~qJYua9-_ufEyujItTM.SSDP4J~Y5tFDQ~5' -AsPlainText -Force)", "TLw8Q~"),
        ("$s = ConvertTo-SecureString '<your-password>' -AsPlainText -Force", "your-password"),
    ] {
        for t in both(text) {
            let f = found(&t);
            assert!(no_password(&f, v), "{t}: {f:?}");
        }
        every_cut(text);
    }
}

#[test]
fn wiki_markup_secret_column() {
    // As text (a JSON string's table is not read: `column_cells` finds the header line's start
    // at a line break byte only, and this round did not change that).
    let text = "h2. Staging access\n||Service||User||Secret||\n|Postgres|app|g1r4$0l!25|\n|Redis|—|Kx#mPqrz|\n|Maps|—|n/a|\n_Last updated 2026-03-01_\n";
    {
        let t = text;
        let f = found(t);
        assert!(has_password(&f, "g1r4$0l!25"), "{t}: {f:?}");
        assert!(has_password(&f, "Kx#mPqrz"), "{t}: {f:?}");
        assert!(no_password(&f, "n/a"), "{t}: {f:?}");
        // The user column is no secret.
        assert!(no_password(&f, "app"), "{t}: {f:?}");
    }
    every_cut(text);
    // A header naming no secret; a secret column's neighbour.
    for text in [
        "||Service||User||Owner||\n|Postgres|app|Kx#mPqrz|\n",
        "||Service||Secret||User||\n|Postgres|n/a|Jd#oeQxz|\n",
    ] {
        for t in both(text) {
            let f = found(&t);
            assert!(no_password(&f, "Kx#mPqrz"), "{t}: {f:?}");
            assert!(no_password(&f, "Jd#oeQxz"), "{t}: {f:?}");
        }
        every_cut(text);
    }
}

#[test]
fn references_and_stand_ins_are_no_secret() {
    for (text, v) in [

        ("  505  export OPENAI_API_KEY=@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/api-key)\n", "KeyVault"),
        ("3. Set `WEBHOOK_SECRET=@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/api-key)`.\n", "KeyVault"),
        ("3. Set `WEBHOOK_SECRET=changeme`.\n4. Run `make dev`.\n", "changeme"),
    ] {
        for t in both(text) {
            let f = found(&t);
            assert!(!f.iter().any(|(_, x)| x.contains(v)), "{t}: {f:?}");
        }
        every_cut(text);
    }
    // `env(NAME)` after a password key, as text (in a JSON string's raw bytes the `\n` escape
    // after the `)` is read as the value's: left).
    let text = "  maven:\n    username: martina-dev\n    password: env(STRIPE_KEY)\n";
    let f = found(text);
    assert!(!f.iter().any(|(_, x)| x.contains("env(")), "{text}: {f:?}");
    every_cut(text);
    // A real value beside them is still found.
    let f = found("3. Set `WEBHOOK_SECRET=Zq8vN2rT5wLx9kPm3HbY7cJd`.\n");
    assert!(
        f.iter()
            .any(|(_, x)| x.starts_with("Zq8vN2rT5wLx9kPm3HbY7cJd")),
        "{f:?}"
    );
    let f = found("    password: envelope(Stripe7Key)\n");
    assert!(f.iter().any(|(t, _)| t == "PASSWORD"), "{f:?}");
}

#[test]
fn django_key_under_a_password_key_is_a_generic_secret() {
    let key = "django-insecure-br%d@_n_i-)xuhc&3^j99%2r16l+0d5^+!_@uz^a_^h5^4&l5q";
    // As text (in a JSON string's raw bytes the key rule reads the value to its first `&`:
    // left).
    let text = format!("[pypi]\nusername = __token__\npassword = {key}\n\n[testpypi]\n");
    {
        let t = &text;
        let f = found(t);
        assert!(
            f.iter().any(|(ty, x)| ty == "GENERIC_SECRET" && x == key),
            "{t}: {f:?}"
        );
        assert!(no_password(&f, "django-insecure-"), "{t}: {f:?}");
    }
    every_cut(&text);
}

#[test]
fn dbi_connect_keeps_the_data_source_host() {
    let text = "my $dbh = DBI->connect('dbi:Pg:dbname=crm;host=172.17.100.43', 'crm', 'VkYy2cocMpi', { RaiseError => 1 });\n";
    for t in both(text) {
        let f = found(&t);
        assert!(has_password(&f, "VkYy2cocMpi"), "{t}: {f:?}");
        assert!(
            f.iter().any(|(ty, x)| ty == "IPV4" && x == "172.17.100.43"),
            "{t}: {f:?}"
        );
    }
}
