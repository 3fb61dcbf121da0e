//! Twelfth round, part A (issue #20, on blind11's misses): phones and birth dates. Each
//! class with the look-alikes it must leave alone.

use super::*;

fn det() -> Detector {
    Detector::new([true; Entity::COUNT], 3.0, &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// The texts of `entity` a scan of `text` finds.
fn found(text: &str, entity: Entity) -> Vec<String> {
    let mut out = Vec::new();
    det().scan(text.as_bytes(), ScanContext::default(), &mut |h| {
        if h.entity == entity {
            out.push(text[h.start..h.end].to_string());
        }
        true
    });
    out
}

fn phones(text: &str) -> Vec<String> {
    found(text, Entity::Phone)
}

/// A blank-aligned table (pandas' `df.head()`, `psql`) with a `phone` header: its column is
/// context, counted from the right (pandas adds an unnamed index column on the left).
#[test]
fn blank_aligned_table_phone_column() {
    let text =
        "Out[5]:\n   id  name                 email                  phone             signup\n \
                0  06120  Gary Diaz            gdiaz@hotmail.com  +41 78 677 39 29  2025-01-05\n \
                1  61671  David Gonzales       gonzales.d@ziggo.nl  0612434562  2025-12-12\n \
                2  71104  Mary Mcguire         mm@btinternet.com  01510/5029917  2025-03-29\n";
    assert_eq!(
        phones(text),
        ["+41 78 677 39 29", "0612434562", "01510/5029917"]
    );
    // Without an index column too.
    let text = "name          phone          city\nGary Diaz     0612434562     Lyon\n";
    assert_eq!(phones(text), ["0612434562"]);
}

#[test]
fn blank_aligned_table_other_columns_stay_unfound() {
    // Another column's numbers: a customer number left of the phone column.
    let text = "id  name        customer_no     contact_phone_if_any         signup\n\
                1   Gary Diaz   3124086784      n/a                          2025-01-05\n";
    assert!(phones(text).is_empty(), "{:?}", phones(text));
    // Prose with two blanks after a sentence is no table.
    let text = "Call the phone line.  Ticket 0612434562 is open.\n";
    assert!(phones(text).is_empty(), "{:?}", phones(text));
}
