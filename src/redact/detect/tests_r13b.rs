//! The thirteenth round's rules for secrets and passwords in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::found;
use super::*;

fn gs(text: &str) -> Vec<String> {
    found(text, Entity::GenericSecret)
}

#[test]
fn aws_cli_text_credentials() {
    let text = "$ aws sts get-session-token --duration-seconds 3600 --output text\nCREDENTIALS\tAKIAXQSXVKK6MFQQXY55\t2026-12-10T04:42:00+00:00\ttpdyPM9GpgCSn847uDj3RRid5Y67FIcNWX6fDCO8\tIQoJb3JpZ2luX2VjM4Es0ePToLXWhzsGrQNk2Yf3hvtcjfIOVMvspEWvRv0lJrrhq9FknZ1ZYJd/QaBbqBzA1GhLQZdXvAxiFATEmGOZyEdPQKLc5MmdC4xjbFj0lkkVE2VapfrIfatT5LZ4cxmW929vegPBpr58VdupGFr5Gb2z\n";
    assert_eq!(
        gs(text),
        vec![
            "tpdyPM9GpgCSn847uDj3RRid5Y67FIcNWX6fDCO8".to_string(),
            "IQoJb3JpZ2luX2VjM4Es0ePToLXWhzsGrQNk2Yf3hvtcjfIOVMvspEWvRv0lJrrhq9FknZ1ZYJd/QaBbqBzA1GhLQZdXvAxiFATEmGOZyEdPQKLc5MmdC4xjbFj0lkkVE2VapfrIfatT5LZ4cxmW929vegPBpr58VdupGFr5Gb2z".to_string(),
        ]
    );
    assert_eq!(
        found(text, Entity::AwsAccessKey),
        vec!["AKIAXQSXVKK6MFQQXY55".to_string()]
    );
    // Look-alikes: a key id in a TSV report (no expiration column after it), an access-key
    // listing (`list-access-keys --output text`: a status and a date, no secret).
    for text in [
        "USER\tAKIAXQSXVKK6MFQQXY55\talice\tActive\n",
        "ACCESSKEYMETADATA\tAKIAXQSXVKK6MFQQXY55\t2024-01-02T10:00:00Z\tActive\talice\n",
    ] {
        assert_eq!(gs(text), Vec::<String>::new(), "{text}");
    }
}
