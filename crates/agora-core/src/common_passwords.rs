//! The 10,000 most common passwords (SecLists' `10k-most-common.txt`, most common first), which
//! NIST SP 800-63B says a new password must not be. Shipped inside the binary.

use std::collections::HashSet;
use std::sync::LazyLock;

const LIST: &str = include_str!("common_passwords.txt");

/// The list, lowercased: `Password1` is as guessable as `password1`.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| LIST.lines().map(str::to_lowercase).collect());

/// Whether `password` is one of the most common passwords (ignoring case).
pub fn is_common(password: &str) -> bool {
    COMMON.contains(&password.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_has_ten_thousand_entries() {
        assert_eq!(LIST.lines().count(), 10_000);
        assert!(LIST.lines().all(|l| !l.is_empty() && l.trim() == l));
    }

    #[test]
    fn common_passwords_are_found_in_any_case() {
        for common in [
            "123456",
            "password",
            "12345678",
            "qwerty123",
            "PASSWORD",
            "Iloveyou",
            "baseball",
        ] {
            assert!(is_common(common), "{common}");
        }
    }

    #[test]
    fn the_demo_and_test_passwords_are_not_common() {
        for fine in ["agora-demo-2026", "correct horse battery", "brand new secret"] {
            assert!(!is_common(fine), "{fine}");
        }
    }
}
