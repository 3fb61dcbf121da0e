//! The thirtieth round's Go MySQL driver DSN, HAProxy's `stats auth`, strongSwan's `: EAP
//! "…"`, `use X as the password` and a Redis ACL rule's `>PASSWORD` (issue #20, task pw;
//! `detect::evidence_r30p`), and their look-alikes.

use super::tests_support::{assert_each_found, assert_none_found};
use crate::redact::entity::Entity;

#[test]
fn a_go_mysql_dsn_password_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "// FIXME: read from env\nconst dsn = \"report:W1ndm0l3n996@tcp(10.111.196.4:3306)/reports?parseTime=true\"\n",
            "W1ndm0l3n996",
        ),
        (
            "[[inputs.mysql]]\n  servers = [\"telegraf:quartz-meadow-quartz35@tcp(192.168.1.20:3306)/\"]\n",
            "quartz-meadow-quartz35",
        ),
        (
            "db, err := sql.Open(\"mysql\", \"app:hafenblick-girasol-girasol6@unix(/var/run/mysqld/mysqld.sock)/shop\")\n",
            "hafenblick-girasol-girasol6",
        ),
        ("DSN=svc:CMdqrwf021!nGe@tcp6([::1]:3306)/db\n", "CMdqrwf021!nGe"),
    ]);
}

#[test]
fn a_go_mysql_dsn_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // No password: the user alone, or a word the value test rejects.
            "const dsn = \"report@tcp(10.0.0.1:3306)/reports\"\n",
            "const dsn = \"report:changeme@tcp(10.0.0.1:3306)/reports\"\n",
            "const dsn = \"report:${DB_PASS}@tcp(10.0.0.1:3306)/reports\"\n",
            // Another protocol's name after the `@`, or none.
            "see commit abc:Kx7mQ2pZr9w@tcpdump for the capture\n",
            "ping team:Kx7mQ2pZr9w@triage(today)\n",
            // A path before the token.
            "/srv/app:Kx7mQ2pZr9w@tcp(host)\n",
        ],
    );
}

#[test]
fn a_haproxy_stats_auth_password_is_found() {
    assert_each_found(Entity::Password, &[
        (
            "listen stats\n    bind *:8404\n    stats uri /haproxy?stats\n    stats auth admin:Gelato1973=\n\nfrontend web\n",
            "Gelato1973=",
        ),
        (
            "listen stats\n\tstats auth ops2:K5o0iP0mVYTX25Ym0byP5GWM\n",
            "K5o0iP0mVYTX25Ym0byP5GWM",
        ),
    ]);
}

#[test]
fn a_haproxy_stats_auth_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // Not the directive: other words before `auth`, or `stats auth` mid-sentence.
            "    http-request auth admin:Gelato1973=\n",
            "the stats auth admin:Gelato1973= line goes first\n",
            // A placeholder, a variable.
            "    stats auth admin:password\n",
            "    stats auth admin:\"$STATS_PASS\"\n",
            // No value glued to the `:`.
            "    stats auth admin: later\n",
        ],
    );
}

#[test]
fn an_ipsec_secrets_eap_password_is_found() {
    assert_each_found(Entity::Password, &[
        (
            ": RSA /etc/ipsec.d/private/gw.key\ndeploy : EAP \"IOttuym864&6kl\"\n# ipsec.conf:\n",
            "IOttuym864&6kl",
        ),
        (
            ": RSA vpn-gw.key\nsvc_vpn : XAUTH \"marlin_bretagne_copper10\"\n",
            "marlin_bretagne_copper10",
        ),
    ]);
}

#[test]
fn an_ipsec_secrets_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // Not quoted, a placeholder, a key file.
            "carol : EAP IOttuym864\n",
            "carol : EAP \"password\"\n",
            ": RSA /etc/ipsec.d/private/gw.key\n",
            // `EAP` as a word in prose.
            "Auth method: EAP \"TTLS\" with PAP inside\n",
        ],
    );
}

#[test]
fn a_password_to_use_as_the_password_is_found() {
    assert_each_found(
        Entity::Password,
        &[
            (
                "[17:40] roger: use o1Rti1Z#5^#zNV as the password for now\n",
                "o1Rti1Z#5^#zNV",
            ),
            (
                "Laptop: Use _0Qot96Ys_cS$1rGP_e+bb as the password when the installer asks.\n",
                "_0Qot96Ys_cS$1rGP_e+bb",
            ),
            (
                "please use violet!vpuiP2 as your password until Friday\n",
                "violet!vpuiP2",
            ),
        ],
    );
}

#[test]
fn a_password_to_use_as_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            "use AKIAJEXAMPLE7KEYDEMO as the sample key\n",
            "use Kx7mQ2pZr9w as the example password\n",
            "we use bcrypt as the password hash\n",
            "because Kx7mQ2pZr9w as the password is too short\n",
            "reuse Kx7mQ2pZr9w as the password\n",
        ],
    );
}

#[test]
fn a_redis_acl_password_is_found() {
    assert_each_found(
        Entity::Password,
        &[
            (
                "maxmemory 15gb\nuser worker on >I&z@M@_CZSE72C8RoFH ~jobs:* +@all\n",
                "I&z@M@_CZSE72C8RoFH",
            ),
            (
                "maxmemory 8gb ⏎ user app on >dpXO6Bh8h5Eqbn9ghQQ ~jobs:* +@all ⏎ # end\n",
                "dpXO6Bh8h5Eqbn9ghQQ",
            ),
            (
                "127.0.0.1:6379> ACL SETUSER reporting on resetpass >Berga2024^V ~* +@read\nOK\n",
                "Berga2024^V",
            ),
        ],
    );
}

#[test]
fn a_redis_acl_look_alikes_are_no_password() {
    assert_none_found(
        Entity::Password,
        &[
            // Shell redirections.
            "*/5 * * * * /usr/local/bin/healthcheck.sh >/dev/null 2>&1\n",
            "curl -fsS https://hooks.example.com/ping >out.log\n",
            // No `user NAME` before, or a word that is no ACL rule between.
            "worker on >I&z@M@_CZSE72C8RoFH\n",
            "user worker said hello >I&z@M@_CZSE72C8RoFH\n",
            // A placeholder.
            "user worker on >password ~jobs:* +@all\n",
            // A comparison in prose.
            "if the user count is > 5 we page\n",
        ],
    );
}
