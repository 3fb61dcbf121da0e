//! The twenty-sixth round's `-P` flag (issue #20, task pw; `detect::evidence_r26p`): a
//! tool's capital `-P` argument shaped as a password, in the seven locales' tool usage, and
//! the flags whose value is a port, a path, a count, a name, a profile or a template.

use super::evidence_r26p::flag_value_password;
use super::tests_support::{both, found};
use crate::redact::entity::Entity;

fn pw(text: &str) -> Vec<String> {
    found(text, Entity::Password)
}

#[test]
fn a_capital_p_argument_shaped_as_a_password_is_found_in_each_locale() {
    for (text, value) in [
        (
            "PS C:\\> sqlcmd -S 10.148.18.103,1433 -U sa -P WvGLQ_k1eA0-83 -d Payroll -Q \"EXEC sp_who\"\n",
            "WvGLQ_k1eA0-83",
        ),
        (
            "Export nachts: bcp dbo.Orders out D:\\export\\orders.dat -S 10.204.150.34 -U export -P ZCSW7Q6y?LdM#u-lX -c\n",
            "ZCSW7Q6y?LdM#u-lX",
        ),
        (
            "Pour red\u{e9}marrer : ipmitool -I lanplus -H 172.17.140.72 -U root -P iUCb6HFFLt8@48M chassis power cycle\n",
            "iUCb6HFFLt8@48M",
        ),
        (
            "Para conectar: sqlcmd -S sql01 -U app -P 'Limoncello!Fietsbel8' -d Ventas\n",
            "Limoncello!Fietsbel8",
        ),
        (
            "Per l'esportazione usare bcp Clienti out c.dat -S db02 -U export -P \"Sardina3524-\" -c\n",
            "Sardina3524-",
        ),
        (
            "Herstarten via ipmitool -H 10.0.4.7 -U ADMIN -P Kompass.Sextant.5 power reset, daarna controleren\n",
            "Kompass.Sextant.5",
        ),
        (
            "Para exportar: bcp vendas out v.dat -S 10.9.31.122 -U export -P ZJicjuq211^ucs -c\n",
            "ZJicjuq211^ucs",
        ),
    ] {
        for t in both(text) {
            assert!(pw(&t).iter().any(|f| f == value), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn a_flag_whose_value_is_no_password_holds_none() {
    for text in [
        // Ports, counts, port maps.
        "psql -h db01 -p 5432 -U app -d orders\n",
        "mysql -h 10.0.0.5 -P 3306 -u report orders\n",
        "scp -P 2222 backup.tar.gz ops@10.0.0.9:/srv/\n",
        "find . -name '*.log' | xargs -P 8 gzip\n",
        "docker run -d -p 8080:80 nginx:1.25-alpine\n",
        "docker run -P -d --name web nginx\n",
        // A policy, a setting, a profile, a path, another flag.
        "iptables -P INPUT DROP\n",
        "psql -U app -P pager=off -c 'select 1'\n",
        "mvn -P release-profile deploy\n",
        "rsync -P /var/backups/db.sql ops@nas:/volume1/\n",
        "sqlcmd -S db01 -U sa -P -Q \"select 1\"\n",
        "bcp dbo.Orders out orders.dat -S db01 -U sa -P C:\\secrets\\sa.txt -c\n",
        // A template, a redaction mark, a file of the password.
        "sqlcmd -S db01 -U sa -P ${DB_PASSWORD} -d app\n",
        "sqlcmd -S db01 -U sa -P $env:SQL_PW -d app\n",
        "ipmitool -H 10.0.0.7 -U root -P ******** chassis status\n",
        "ipmitool -H 10.0.0.7 -U root -P '<password>' chassis status\n",
        "mysqladmin --password-file=/run/secrets/db_password status\n",
        "grep -P '^[A-Z]+$' names.txt\n",
        "ab -n 100 -c 10 -P Administrator http://10.0.0.5/\n",
    ] {
        for t in both(text) {
            assert!(pw(&t).is_empty(), "{t:?}: {:?}", pw(&t));
        }
    }
}

#[test]
fn a_flag_value_is_read_by_its_shape() {
    for v in [
        "WvGLQ_k1eA0-83",
        "ZCSW7Q6y?LdM#u-lX",
        "Obsidian2015.",
        "p@3ll@_3",
    ] {
        assert!(flag_value_password(v.as_bytes()), "{v}");
    }
    for v in [
        "5432",
        "8080:80",
        "-c",
        "INPUT",
        "pager=off",
        "release-profile",
        "${DB_PASSWORD}",
        "********",
        "/run/secrets/db_password",
        "sk_live_...",
        "^[A-Z]+$",
        "[0-9]{4}-x",
        // Opening with `@`: a template's variable to last round's test (`@lh@mbr@-70`, a
        // blind25 password, is missed for it).
        "@lh@mbr@-70",
    ] {
        assert!(!flag_value_password(v.as_bytes()), "{v}");
    }
}
