//! The fifteenth round's rules for passwords and secrets in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::found;
use super::*;

#[test]
fn keystore_password_flags() {
    for (text, want) in [
        (
            "$ keytool -list -v -keystore server.jks -storepass Anatnomart_019.\n",
            vec!["Anatnomart_019."],
        ),
        (
            "keytool -importkeystore -srckeystore old.p12 -srcstorepass heuschrecke-duinroos7 -destkeystore server.jks -deststorepass 'Lav4nde!x9'\n",
            vec!["heuschrecke-duinroos7", "Lav4nde!x9"],
        ),
        (
            "jarsigner -keystore rel.jks -storepass Tramontana9843! -keypass KSEIC_OMCtGGV app.apk rel\n",
            vec!["Tramontana9843!", "KSEIC_OMCtGGV"],
        ),
    ] {
        assert_eq!(found(text, Entity::Password), want, "{text}");
    }
    // Look-alikes: the password kept elsewhere, a variable, other words ending in `pass`.
    for text in [
        "keytool -list -keystore server.jks -storepass:env STORE_PASS\n",
        "keytool -list -keystore server.jks -storepass:file /run/secrets/ks\n",
        "keytool -list -keystore server.jks -storepass \"$KEYSTORE_PASSWORD\"\n",
        "keytool -list -keystore server.jks -storepass ${STORE_PASS}\n",
        "curl --bypass Proxy7Host-22 https://example.com\n",
        "the compass heading was Nord-West42 today\n",
        "they took the bypass Route-66b north\n",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
}
