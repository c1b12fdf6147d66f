use super::*;
use crate::money::Currency;

use OrderAction::*;
use OrderStatus::*;
use Party::*;
use PaymentMethod::*;

const STATUSES: [OrderStatus; 9] = [
    AwaitingApproval,
    PendingPayment,
    Paid,
    Confirmed,
    Shipped,
    Completed,
    Cancelled,
    Refunded,
    PartiallyRefunded,
];
const PARTIES: [Party; 5] = [Buyer, CompanyAdmin, Seller, Operator, System];
const METHODS: [PaymentMethod; 4] = [Card, Wallet, BankTransfer, Cod];
const FULL: OrderAction = Refund(RefundKind::Full);
const PARTIAL: OrderAction = Refund(RefundKind::Partial);

/// The rules written out once more, row by row, independently of the `match` in `transition`:
/// (from, applies to prepaid, applies to cod, action, target, parties).
#[allow(clippy::type_complexity)]
fn legal_moves() -> Vec<(OrderStatus, bool, bool, OrderAction, Option<OrderStatus>, Vec<Party>)> {
    vec![
        // The target of an approval depends on the method; `None` marks it (checked below).
        (AwaitingApproval, true, true, Approve, None, vec![CompanyAdmin]),
        (
            AwaitingApproval,
            true,
            true,
            Decline,
            Some(Cancelled),
            vec![CompanyAdmin],
        ),
        (
            AwaitingApproval,
            true,
            true,
            Cancel,
            Some(Cancelled),
            vec![Buyer, CompanyAdmin, Seller, Operator, System],
        ),
        (
            PendingPayment,
            true,
            false,
            Pay,
            Some(Paid),
            vec![Buyer, CompanyAdmin, Operator, System],
        ),
        (
            PendingPayment,
            true,
            true,
            Cancel,
            Some(Cancelled),
            vec![Buyer, CompanyAdmin, Seller, Operator, System],
        ),
        (Paid, true, true, Ship, Some(Shipped), vec![Seller]),
        (
            Paid,
            true,
            true,
            Cancel,
            Some(Cancelled),
            vec![Buyer, CompanyAdmin, Seller, Operator],
        ),
        (Confirmed, true, true, Ship, Some(Shipped), vec![Seller]),
        (
            Confirmed,
            true,
            true,
            Cancel,
            Some(Cancelled),
            vec![Buyer, CompanyAdmin, Seller, Operator],
        ),
        (
            Shipped,
            true,
            false,
            ConfirmReceipt,
            Some(Completed),
            vec![Buyer, CompanyAdmin],
        ),
        (Shipped, true, false, AutoComplete, Some(Completed), vec![System]),
        (Shipped, true, false, FULL, Some(Refunded), vec![Seller, Operator]),
        (
            Shipped,
            false,
            true,
            CollectCash,
            Some(Completed),
            vec![Seller, Operator],
        ),
        (Shipped, false, true, Cancel, Some(Cancelled), vec![Seller, Operator]),
        (Completed, true, true, FULL, Some(Refunded), vec![Seller, Operator]),
        (
            Completed,
            true,
            true,
            PARTIAL,
            Some(PartiallyRefunded),
            vec![Seller, Operator],
        ),
        (
            PartiallyRefunded,
            true,
            true,
            FULL,
            Some(Refunded),
            vec![Seller, Operator],
        ),
        (
            PartiallyRefunded,
            true,
            true,
            PARTIAL,
            Some(PartiallyRefunded),
            vec![Seller, Operator],
        ),
    ]
}

#[test]
fn every_status_action_party_and_method_is_decided_as_the_table_says() {
    let table = legal_moves();
    let mut legal = 0;
    for status in STATUSES {
        for payment in METHODS {
            for action in OrderAction::ALL {
                let row = table.iter().find(|(s, prepaid, cod, a, _, _)| {
                    *s == status && *a == action && if payment.is_prepaid() { *prepaid } else { *cod }
                });
                for who in PARTIES {
                    let got = transition(OrderState { status, payment }, action, who);
                    let case = format!("{status} {payment} {} by {who}", action.event_name());
                    match row {
                        None => assert_eq!(got, Err(IllegalTransition::Status { status, action }), "{case}"),
                        Some((_, _, _, _, target, parties)) if parties.contains(&who) => {
                            let expected = target.unwrap_or(if payment == Cod { Confirmed } else { PendingPayment });
                            assert_eq!(got, Ok(expected), "{case}");
                            legal += 1;
                        }
                        Some(_) => assert_eq!(got, Err(IllegalTransition::Party { party: who, action }), "{case}"),
                    }
                }
            }
        }
    }
    // Guards against a table that silently matches nothing.
    assert_eq!(legal, 151);
}

#[test]
fn final_statuses_accept_nothing() {
    for payment in METHODS {
        for action in OrderAction::ALL {
            for who in PARTIES {
                for status in [Cancelled, Refunded] {
                    assert!(status.is_final());
                    assert!(transition(OrderState { status, payment }, action, who).is_err());
                }
            }
        }
    }
}

fn state(status: OrderStatus, payment: PaymentMethod) -> OrderState {
    OrderState { status, payment }
}

#[test]
fn a_prepaid_order_runs_from_payment_to_completion() {
    let mut s = state(PendingPayment, Card);
    for (action, who, expected) in [
        (Pay, System, Paid),
        (Ship, Seller, Shipped),
        (ConfirmReceipt, Buyer, Completed),
        (PARTIAL, Seller, PartiallyRefunded),
        (FULL, Operator, Refunded),
    ] {
        s.status = transition(s, action, who).unwrap();
        assert_eq!(s.status, expected);
    }
}

#[test]
fn a_cash_on_delivery_order_completes_only_when_the_cash_is_recorded() {
    let shipped = state(Shipped, Cod);
    assert!(matches!(
        transition(shipped, ConfirmReceipt, Buyer),
        Err(IllegalTransition::Status { .. })
    ));
    assert!(matches!(
        transition(shipped, AutoComplete, System),
        Err(IllegalTransition::Status { .. })
    ));
    assert!(matches!(
        transition(shipped, FULL, Seller),
        Err(IllegalTransition::Status { .. })
    ));
    assert_eq!(transition(shipped, CollectCash, Seller), Ok(Completed));
    assert_eq!(
        transition(state(Confirmed, Cod), Pay, Buyer),
        Err(IllegalTransition::Status {
            status: Confirmed,
            action: Pay
        })
    );
}

#[test]
fn buyer_cannot_pay_an_order_twice_nor_ship_it() {
    assert_eq!(
        transition(state(Paid, Wallet), Pay, Buyer),
        Err(IllegalTransition::Status {
            status: Paid,
            action: Pay
        })
    );
    assert_eq!(
        transition(state(Paid, Wallet), Ship, Buyer),
        Err(IllegalTransition::Party {
            party: Buyer,
            action: Ship
        })
    );
}

#[test]
fn nobody_cancels_a_shipped_prepaid_order_and_the_system_never_cancels_a_paid_one() {
    for who in PARTIES {
        assert!(matches!(
            transition(state(Shipped, Card), Cancel, who),
            Err(IllegalTransition::Status { .. })
        ));
    }
    assert_eq!(
        transition(state(Paid, Card), Cancel, System),
        Err(IllegalTransition::Party {
            party: System,
            action: Cancel
        })
    );
}

#[test]
fn approval_leads_to_payment_or_to_cash_on_delivery() {
    assert_eq!(
        transition(state(AwaitingApproval, BankTransfer), Approve, CompanyAdmin),
        Ok(PendingPayment)
    );
    assert_eq!(
        transition(state(AwaitingApproval, Cod), Approve, CompanyAdmin),
        Ok(Confirmed)
    );
    assert_eq!(
        transition(state(AwaitingApproval, Card), Approve, Buyer),
        Err(IllegalTransition::Party {
            party: Buyer,
            action: Approve
        })
    );
    assert_eq!(
        transition(state(AwaitingApproval, Card), Decline, CompanyAdmin),
        Ok(Cancelled)
    );
}

#[test]
fn errors_read_as_sentences() {
    let e = transition(state(Shipped, Card), Cancel, Buyer).unwrap_err();
    assert_eq!(e.to_string(), "an order that is shipped cannot be cancelled");
    let e = transition(state(Paid, Card), Ship, Buyer).unwrap_err();
    assert_eq!(e.to_string(), "the buyer may not have an order shipped");
}

#[test]
fn the_initial_status_follows_the_method_and_the_approval() {
    assert_eq!(initial_status(Card, false), PendingPayment);
    assert_eq!(initial_status(Wallet, false), PendingPayment);
    assert_eq!(initial_status(BankTransfer, false), PendingPayment);
    assert_eq!(initial_status(Cod, false), Confirmed);
    for m in METHODS {
        assert_eq!(initial_status(m, true), AwaitingApproval);
    }
}

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

#[test]
fn a_purchaser_above_the_company_limit_needs_approval() {
    let p = Some(CompanyRole::Purchaser);
    let limit = Some(eur(100_000));
    assert!(
        !needs_approval(p, limit, &[eur(60_000), eur(40_000)]),
        "exactly the limit is fine"
    );
    assert!(
        needs_approval(p, limit, &[eur(60_000), eur(40_001)]),
        "the group total counts"
    );
    assert!(
        !needs_approval(Some(CompanyRole::Admin), limit, &[eur(10_000_000)]),
        "admins approve themselves"
    );
    assert!(
        !needs_approval(None, limit, &[eur(10_000_000)]),
        "people without a company"
    );
    assert!(!needs_approval(p, None, &[eur(10_000_000)]), "no limit set");
    let usd = Money::new(1, Currency::parse("USD").unwrap());
    assert!(
        needs_approval(p, limit, &[usd]),
        "a total in another currency is never waved through"
    );
    assert!(
        needs_approval(p, limit, &[eur(i64::MAX), eur(1)]),
        "an overflowing sum is above any limit"
    );
}

#[test]
fn refunds_never_exceed_what_is_left() {
    assert_eq!(refund_kind(eur(1000), eur(0), eur(1000)), Ok(RefundKind::Full));
    assert_eq!(refund_kind(eur(1000), eur(0), eur(400)), Ok(RefundKind::Partial));
    assert_eq!(refund_kind(eur(1000), eur(400), eur(600)), Ok(RefundKind::Full));
    assert_eq!(
        refund_kind(eur(1000), eur(400), eur(601)),
        Err(RefundError::ExceedsPaid(eur(600)))
    );
    assert_eq!(refund_kind(eur(1000), eur(0), eur(0)), Err(RefundError::NotPositive));
    assert_eq!(refund_kind(eur(1000), eur(0), eur(-5)), Err(RefundError::NotPositive));
    let usd = Money::new(5, Currency::parse("USD").unwrap());
    assert!(matches!(
        refund_kind(eur(1000), eur(0), usd),
        Err(RefundError::Money(MoneyError::CurrencyMismatch(..)))
    ));
}

#[test]
fn cancelling_returns_stock_and_refunds_do_not() {
    assert!(returns_stock(PendingPayment, Cancelled));
    assert!(returns_stock(Paid, Cancelled));
    assert!(!returns_stock(Completed, Refunded));
    assert!(!returns_stock(Shipped, Completed));
}

#[test]
fn reservations_wait_by_method_and_only_while_something_is_awaited() {
    let p = ReservationPolicy::default();
    assert_eq!(
        p.expires_at(state(PendingPayment, Card), 1_000),
        Some(1_000 + 30 * 60 * 1000)
    );
    assert_eq!(p.expires_at(state(PendingPayment, BankTransfer), 0), Some(7 * DAY_MS));
    assert_eq!(p.expires_at(state(AwaitingApproval, Cod), 0), Some(7 * DAY_MS));
    for s in [
        Paid,
        Confirmed,
        Shipped,
        Completed,
        Cancelled,
        Refunded,
        PartiallyRefunded,
    ] {
        assert_eq!(p.expires_at(state(s, Card), 0), None, "{s}");
    }
    assert_eq!(auto_complete_at(0, DEFAULT_AUTO_COMPLETE_DAYS), 10 * DAY_MS);
    assert_eq!(auto_complete_at(i64::MAX - 1, 10), i64::MAX);
}

#[test]
fn statuses_methods_and_parties_travel_as_snake_case() {
    for s in STATUSES {
        assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{}\"", s.as_str()));
    }
    for m in METHODS {
        assert_eq!(m.as_str().parse::<PaymentMethod>(), Ok(m));
    }
    assert_eq!("bank_transfer".parse::<PaymentMethod>(), Ok(BankTransfer));
    assert!("cash".parse::<PaymentMethod>().is_err());
    assert_eq!(
        PARTIES.iter().map(|p| p.as_str()).collect::<Vec<_>>().len(),
        Party::ALL.len()
    );
}
