//! Countries as ISO 3166-1 alpha-2 codes: the destination that decides tax and shipping.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The officially assigned ISO 3166-1 alpha-2 codes, plus XK (Kosovo, used by the EU and banks).
const CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK \
FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM \
JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM \
US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// A country by its ISO 3166-1 alpha-2 code, always upper case (`DE`, `FR`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// Parses a code such as `de` or ` DE `: trimmed, case-insensitive, and one that ISO assigned.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let code = raw.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        if bytes.len() != 2 || !bytes.iter().all(u8::is_ascii_uppercase) || !CODES.split(' ').any(|c| c == code) {
            return Err("must be a two-letter ISO 3166 country code like DE".to_owned());
        }
        Ok(Self([bytes[0], bytes[1]]))
    }

    pub fn code(&self) -> &str {
        // Only ASCII letters ever get in (see `parse`).
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl TryFrom<String> for Country {
    type Error = String;

    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.code().to_owned()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalised_and_must_be_assigned() {
        assert_eq!(Country::parse(" de ").unwrap().code(), "DE");
        assert_eq!(Country::parse("FR").unwrap().to_string(), "FR");
        for bad in ["", "D", "DEU", "XX", "ZZ", "1A", "Ü1", "*"] {
            assert!(Country::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(CODES.split(' ').count(), 250);
    }

    #[test]
    fn countries_travel_as_their_code() {
        let de = Country::parse("DE").unwrap();
        assert_eq!(serde_json::to_string(&de).unwrap(), r#""DE""#);
        assert_eq!(serde_json::from_str::<Country>(r#""at""#).unwrap().code(), "AT");
        assert!(serde_json::from_str::<Country>(r#""QQ""#).is_err());
    }
}
