use super::*;

fn errors_of(text: &str) -> Vec<String> {
    parse(text.as_bytes())
        .expect_err("the file is refused")
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_good_file_reads_every_line_with_its_number() {
    let text = "Date,Amount,Currency,Reference,Counterparty,Id\n\
                2026-11-30,50.00,EUR,Order ag 7kqm 2xrt thanks,Jane Buyer,TX-1\n\
                2026-11-30,5000,JPY,unknown,,\n";
    let lines = parse(text.as_bytes()).expect("it parses");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].line, 2);
    assert_eq!(lines[0].amount, Money::new(5000, Currency::EUR));
    assert_eq!(lines[0].agora_reference().as_deref(), Some("AG-7KQM-2XRT"));
    assert_eq!(lines[0].key, "bank:TX-1");
    assert_eq!(lines[0].counterparty.as_deref(), Some("Jane Buyer"));
    assert_eq!(lines[1].amount.minor, 5000);
    assert_eq!(lines[1].amount.currency.code(), "JPY");
    assert_eq!(lines[1].agora_reference(), None);
    assert!(lines[1].key.starts_with("sha256:"));
}

#[test]
fn columns_may_come_in_any_order_and_the_optional_ones_may_be_left_out() {
    let lines = parse(b"reference,currency,amount,date\nAG-7KQM-2XRT,EUR,1.05,2024-02-29\n").unwrap();
    assert_eq!(lines[0].amount.minor, 105);
    assert_eq!(lines[0].bank_id, None);
}

#[test]
fn identical_lines_keep_distinct_keys_that_the_same_file_gives_again() {
    let text = "date,amount,currency,reference\n2026-11-30,10.00,EUR,AG-7KQM-2XRT\n2026-11-30,10.00,EUR,AG-7KQM-2XRT\n";
    let first = parse(text.as_bytes()).unwrap();
    let again = parse(text.as_bytes()).unwrap();
    assert_ne!(first[0].key, first[1].key);
    assert_eq!(first[0].key, again[0].key);
    assert_eq!(first[1].key, again[1].key);
}

#[test]
fn bad_amounts_are_refused_with_their_line() {
    let text = "date,amount,currency,reference\n\
                2026-11-30,50,EUR,a\n\
                2026-11-30,50.0,EUR,a\n\
                2026-11-30,50.001,EUR,a\n\
                2026-11-30,-5.00,EUR,a\n\
                2026-11-30,0.00,EUR,a\n\
                2026-11-30,\"1,000.00\",EUR,a\n\
                2026-11-30,1e3,EUR,a\n\
                2026-11-30,99999999999999999999.00,EUR,a\n\
                2026-11-30,50.00,JPY,a\n\
                2026-11-30,,EUR,a\n";
    let errors = errors_of(text);
    assert_eq!(errors.len(), 10, "{errors:?}");
    for (i, e) in errors.iter().enumerate() {
        assert!(e.starts_with(&format!("line {}: amount", i + 2)), "{e}");
    }
    assert!(errors[3].contains("below zero"), "{}", errors[3]);
    assert!(errors[4].contains("more than zero"), "{}", errors[4]);
    assert!(errors[8].contains("without decimals"), "{}", errors[8]);
}

#[test]
fn a_wrong_currency_is_refused() {
    let errors = errors_of("date,amount,currency,reference\n2026-11-30,5.00,EUR,a\n2026-11-30,5.00,XYZ,a\n2026-11-30,5.00,eur,a\n2026-11-30,5.00,,a\n");
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].starts_with("line 3: currency"), "{}", errors[0]);
    assert!(errors[1].starts_with("line 4: currency"), "{}", errors[1]);
    assert!(errors[2].starts_with("line 5: the currency is empty"), "{}", errors[2]);
}

#[test]
fn missing_unknown_or_doubled_columns_refuse_the_file() {
    let errors = errors_of("date,amount,reference\n2026-11-30,5.00,a\n");
    assert_eq!(errors, vec!["line 1: the column \"currency\" is missing"]);
    let errors = errors_of("date,amount,currency,reference,iban\n2026-11-30,5.00,EUR,a,x\n");
    assert!(errors[0].starts_with("line 1: unknown column \"iban\""), "{errors:?}");
    let errors = errors_of("date,amount,currency,reference,Amount\n");
    assert!(errors[0].contains("appears twice"), "{errors:?}");
}

#[test]
fn short_lines_bad_dates_empty_references_and_repeated_ids_are_named() {
    let text = "date,amount,currency,reference,id\n\
                2026-11-30,5.00,EUR\n\
                2026-02-30,5.00,EUR,a,\n\
                30.11.2026,5.00,EUR,a,\n\
                2026-11-30,5.00,EUR,,\n\
                2026-11-30,5.00,EUR,a,T1\n\
                2026-11-30,6.00,EUR,b,T1\n";
    let errors = errors_of(text);
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(
        errors[0].starts_with("line 2: cannot be read: it has 3 fields"),
        "{}",
        errors[0]
    );
    assert!(errors[1].starts_with("line 3: date"), "{}", errors[1]);
    assert!(errors[2].starts_with("line 4: date"), "{}", errors[2]);
    assert!(errors[3].starts_with("line 5: the reference is empty"), "{}", errors[3]);
    assert!(
        errors[4].starts_with("line 7: the id \"T1\" is on line 6"),
        "{}",
        errors[4]
    );
}

#[test]
fn an_empty_file_or_one_that_is_not_text_is_refused() {
    assert_eq!(
        errors_of("date,amount,currency,reference\n"),
        vec!["the file holds no lines after its header"]
    );
    assert!(!errors_of("").is_empty());
    assert!(parse(b"date,amount,currency,reference\n2026-11-30,5.00,EUR,\xff\xfe\n").is_err());
}

#[test]
fn references_are_found_in_free_text_but_not_inside_other_words() {
    assert_eq!(find_reference("AG-7KQM-2XRT").as_deref(), Some("AG-7KQM-2XRT"));
    assert_eq!(
        find_reference("payment ag7kqm2xrt, invoice 12").as_deref(),
        Some("AG-7KQM-2XRT")
    );
    assert_eq!(find_reference("BAG-7KQM-2XRT"), None);
    assert_eq!(find_reference("AG-7KQM-2XRTX"), None);
    assert_eq!(find_reference("AG-0000-0000"), None);
    assert_eq!(find_reference("agenda AG 7KQM 2XRT").as_deref(), Some("AG-7KQM-2XRT"));
}
