use super::rules::{self, Destination, External, RefundRoute};
use super::*;
use crate::money::Currency;

fn eur(minor: i64) -> Money {
    Money::new(minor, Currency::EUR)
}

fn usd(minor: i64) -> Money {
    Money::new(minor, Currency::parse("USD").unwrap())
}

/// The postings as `(account id, amount)`, for comparing.
fn lines(tx: &LedgerTransaction) -> Vec<(String, i64)> {
    tx.postings().iter().map(|p| (p.account.id(), p.amount)).collect()
}

fn balanced(tx: &LedgerTransaction) {
    let mut sums: BTreeMap<&str, i64> = BTreeMap::new();
    for p in tx.postings() {
        *sums.entry(p.account.currency.code()).or_default() += p.amount;
        assert_ne!(p.amount, 0);
    }
    assert!(sums.values().all(|s| *s == 0), "{sums:?}");
}

#[test]
fn every_kind_has_an_owner_and_user_owned_kinds_are_the_ones_holding_value_for_someone() {
    for kind in AccountKind::ALL {
        let parsed: AccountKind = kind.as_str().parse().unwrap();
        assert_eq!(parsed, *kind);
        let _ = kind.owner_kind();
    }
    assert!(AccountKind::WalletAvailable.is_user_owned());
    assert!(AccountKind::OrderEscrow.is_user_owned());
    assert!(AccountKind::SellerAvailable.is_user_owned());
    assert!(!AccountKind::GatewayClearing.is_user_owned());
    assert!(!AccountKind::PlatformFees.is_user_owned());
    assert_eq!(AccountKind::OrderEscrow.owner_kind(), OwnerKind::Order);
    assert_eq!(AccountKind::GatewayClearing.owner_kind(), OwnerKind::Platform);
    assert_eq!(AccountKind::SellerPending.owner_kind(), OwnerKind::Shop);
    assert_eq!(AccountKind::WalletHeld.owner_kind(), OwnerKind::Account);
}

#[test]
fn account_ids_round_trip() {
    let a = AccountRef::new(AccountKind::OrderEscrow, "ord_1", Currency::EUR);
    assert_eq!(a.id(), "order_escrow:ord_1:EUR");
    assert_eq!(AccountRef::parse_id(&a.id()).unwrap(), a);
    assert!(AccountRef::parse_id("order_escrow:ord_1").is_err());
    assert!(AccountRef::parse_id("nope:ord_1:EUR").is_err());
    assert!(AccountRef::parse_id("order_escrow:ord_1:XXX").is_err());
}

#[test]
fn a_balanced_transaction_builds_and_nets_per_account() {
    let tx = LedgerTransaction::builder(TxKind::WalletPayment, "pay_1")
        .post(AccountKind::WalletAvailable, "acc_1", eur(-300))
        .post(AccountKind::OrderEscrow, "ord_1", eur(100))
        .post(AccountKind::OrderEscrow, "ord_1", eur(200))
        .build()
        .unwrap();
    assert_eq!(tx.reference(), "pay_1");
    let net = tx.net_by_account();
    assert_eq!(net.len(), 2);
    assert_eq!(net[0].0.id(), "order_escrow:ord_1:EUR");
    assert_eq!(net[0].1, 300);
    assert_eq!(net[1].1, -300);
    let back = tx.reversal("fix_1");
    balanced(&back);
    assert_eq!(back.kind(), TxKind::Reversal);
    assert_eq!(back.postings()[0].amount, 300);
}

#[test]
fn unbalanced_zero_lonely_and_huge_postings_are_refused() {
    let b = || LedgerTransaction::builder(TxKind::TopUp, "pay_1");
    assert_eq!(
        b().post(AccountKind::WalletAvailable, "a", eur(100))
            .post(AccountKind::GatewayClearing, PLATFORM, eur(-99))
            .build(),
        Err(LedgerError::Unbalanced {
            currency: "EUR",
            sum: 1
        })
    );
    // Balanced in sum, but across two currencies: each currency must balance on its own.
    assert!(matches!(
        b().post(AccountKind::WalletAvailable, "a", eur(100))
            .post(AccountKind::GatewayClearing, PLATFORM, usd(-100))
            .build(),
        Err(LedgerError::Unbalanced { .. })
    ));
    assert!(matches!(
        b().post(AccountKind::WalletAvailable, "a", eur(0))
            .post(AccountKind::GatewayClearing, PLATFORM, eur(0))
            .build(),
        Err(LedgerError::ZeroPosting(_))
    ));
    assert_eq!(
        b().post(AccountKind::WalletAvailable, "a", eur(5)).build(),
        Err(LedgerError::TooFewPostings)
    );
    assert_eq!(b().build(), Err(LedgerError::TooFewPostings));
    assert_eq!(
        b().transfer(
            (AccountKind::GatewayClearing, PLATFORM),
            (AccountKind::WalletAvailable, "a"),
            eur(MAX_POSTING + 1)
        )
        .build(),
        Err(LedgerError::TooLarge(-(MAX_POSTING + 1)))
    );
    assert!(matches!(
        b().post(AccountKind::WalletAvailable, "a", eur(i64::MIN))
            .post(AccountKind::GatewayClearing, PLATFORM, eur(i64::MAX))
            .build(),
        Err(LedgerError::TooLarge(_))
    ));
    assert!(b()
        .transfer(
            (AccountKind::GatewayClearing, PLATFORM),
            (AccountKind::WalletAvailable, "a"),
            eur(MAX_POSTING)
        )
        .build()
        .is_ok());
}

#[test]
fn top_ups_move_money_from_the_outside_into_the_wallet() {
    let tx = rules::top_up("pay_1", "acc_1", eur(5000), External::Gateway).unwrap();
    balanced(&tx);
    assert_eq!(tx.kind(), TxKind::TopUp);
    assert_eq!(
        lines(&tx),
        vec![
            ("gateway_clearing:platform:EUR".into(), -5000),
            ("wallet_available:acc_1:EUR".into(), 5000)
        ]
    );
    let tx = rules::top_up("pay_2", "acc_1", eur(1), External::Bank).unwrap();
    assert_eq!(tx.postings()[0].account.kind, AccountKind::BankClearing);
    assert_eq!(
        rules::top_up("pay_1", "acc_1", eur(0), External::Gateway),
        Err(LedgerError::NotPositive("a top-up"))
    );
    assert!(rules::top_up("pay_1", "acc_1", eur(-5), External::Gateway).is_err());
}

#[test]
fn a_wallet_pays_every_order_of_a_checkout_into_its_escrow() {
    let orders = vec![("ord_1".to_owned(), eur(1190)), ("ord_2".to_owned(), eur(500))];
    let tx = rules::pay_from_wallet("pay_1", "acc_1", &orders).unwrap();
    balanced(&tx);
    assert_eq!(
        lines(&tx),
        vec![
            ("wallet_available:acc_1:EUR".into(), -1690),
            ("order_escrow:ord_1:EUR".into(), 1190),
            ("order_escrow:ord_2:EUR".into(), 500)
        ]
    );
    assert!(rules::pay_from_wallet("pay_1", "acc_1", &[]).is_err());
    let mixed = vec![("ord_1".to_owned(), eur(1)), ("ord_2".to_owned(), usd(1))];
    assert!(matches!(
        rules::pay_from_wallet("pay_1", "acc_1", &mixed),
        Err(LedgerError::CurrencyMismatch(..))
    ));
    let zero = vec![("ord_1".to_owned(), eur(0))];
    assert!(rules::pay_from_wallet("pay_1", "acc_1", &zero).is_err());
    let huge = vec![("ord_1".to_owned(), eur(i64::MAX)), ("ord_2".to_owned(), eur(1))];
    assert_eq!(
        rules::pay_from_wallet("pay_1", "acc_1", &huge),
        Err(LedgerError::Overflow)
    );
}

#[test]
fn received_payments_go_to_escrow_or_the_wallet_with_any_suspense_already_held() {
    let orders = vec![("ord_1".to_owned(), eur(700)), ("ord_2".to_owned(), eur(300))];
    let tx = rules::payment_received(
        "pay_1",
        External::Gateway,
        eur(1000),
        eur(0),
        Destination::Orders(&orders),
    )
    .unwrap();
    balanced(&tx);
    assert_eq!(tx.kind(), TxKind::PaymentReceived);
    assert_eq!(tx.postings()[0].account.id(), "gateway_clearing:platform:EUR");
    // 600 arrived earlier and waits in suspense; the other 400 arrives now.
    let tx = rules::payment_received(
        "pay_1",
        External::Bank,
        eur(400),
        eur(600),
        Destination::Orders(&orders),
    )
    .unwrap();
    balanced(&tx);
    assert_eq!(
        lines(&tx),
        vec![
            ("bank_clearing:platform:EUR".into(), -400),
            ("bank_suspense:pay_1:EUR".into(), -600),
            ("order_escrow:ord_1:EUR".into(), 700),
            ("order_escrow:ord_2:EUR".into(), 300)
        ]
    );
    // Not matching the orders' total: refused as unbalanced.
    assert!(matches!(
        rules::payment_received("pay_1", External::Bank, eur(999), eur(0), Destination::Orders(&orders)),
        Err(LedgerError::Unbalanced { .. })
    ));
    let tx = rules::payment_received("pay_2", External::Bank, eur(250), eur(0), Destination::Wallet("acc_1")).unwrap();
    assert_eq!(tx.kind(), TxKind::TopUp);
    balanced(&tx);
    assert!(rules::payment_received("pay_2", External::Bank, eur(0), eur(0), Destination::Wallet("acc_1")).is_err());
    assert!(rules::payment_received("pay_2", External::Bank, eur(-5), eur(10), Destination::Wallet("acc_1")).is_err());
    assert!(rules::payment_received("pay_2", External::Bank, eur(5), usd(10), Destination::Wallet("acc_1")).is_err());
}

#[test]
fn mismatched_transfers_wait_in_suspense_until_resolved() {
    let tx = rules::to_suspense("pay_1", eur(999)).unwrap();
    balanced(&tx);
    assert_eq!(
        lines(&tx),
        vec![
            ("bank_clearing:platform:EUR".into(), -999),
            ("bank_suspense:pay_1:EUR".into(), 999)
        ]
    );
    let tx = rules::suspense_to_wallet("pay_1", "acc_1", eur(999)).unwrap();
    balanced(&tx);
    assert_eq!(tx.kind(), TxKind::SuspenseResolved);
    assert!(rules::to_suspense("pay_1", eur(0)).is_err());
    assert!(rules::suspense_to_wallet("pay_1", "acc_1", eur(-1)).is_err());
}

#[test]
fn an_unmatched_statement_line_moves_from_its_suspense_to_its_payments() {
    let tx = rules::line_to_payment("stl_1", "pay_1", eur(600)).unwrap();
    balanced(&tx);
    assert_eq!(tx.kind(), TxKind::SuspenseResolved);
    assert_eq!(tx.reference(), "stl_1");
    assert_eq!(
        lines(&tx),
        vec![
            ("bank_suspense:stl_1:EUR".into(), -600),
            ("bank_suspense:pay_1:EUR".into(), 600)
        ]
    );
    assert!(rules::line_to_payment("stl_1", "pay_1", eur(0)).is_err());
}

#[test]
fn release_pays_the_seller_less_the_fee() {
    let tx = rules::release_escrow("ord_1", "shp_1", eur(10_000), eur(500)).unwrap();
    balanced(&tx);
    assert_eq!(
        lines(&tx),
        vec![
            ("order_escrow:ord_1:EUR".into(), -10_000),
            ("seller_available:shp_1:EUR".into(), 9_500),
            ("platform_fees:platform:EUR".into(), 500)
        ]
    );
    // No fee: no zero posting.
    let tx = rules::release_escrow("ord_1", "shp_1", eur(100), eur(0)).unwrap();
    assert_eq!(tx.postings().len(), 2);
    // All fee: nothing for the seller, still no zero posting.
    let tx = rules::release_escrow("ord_1", "shp_1", eur(100), eur(100)).unwrap();
    assert_eq!(tx.postings().len(), 2);
    assert!(matches!(
        rules::release_escrow("ord_1", "shp_1", eur(100), eur(101)),
        Err(LedgerError::FeeAboveAmount { .. })
    ));
    assert!(rules::release_escrow("ord_1", "shp_1", eur(100), eur(-1)).is_err());
    assert!(rules::release_escrow("ord_1", "shp_1", eur(0), eur(0)).is_err());
    assert!(rules::release_escrow("ord_1", "shp_1", eur(100), usd(1)).is_err());
}

#[test]
fn cancellations_send_escrow_back_the_way_it_came() {
    let tx = rules::refund_escrow("ord_1", eur(1190), RefundRoute::Wallet("acc_1")).unwrap();
    balanced(&tx);
    assert_eq!(
        lines(&tx),
        vec![
            ("order_escrow:ord_1:EUR".into(), -1190),
            ("wallet_available:acc_1:EUR".into(), 1190)
        ]
    );
    let tx = rules::refund_escrow("ord_1", eur(1190), RefundRoute::Gateway).unwrap();
    assert_eq!(tx.postings()[1].account.id(), "gateway_clearing:platform:EUR");
    assert!(rules::refund_escrow("ord_1", eur(0), RefundRoute::Gateway).is_err());
}

#[test]
fn destination_totals_are_checked_sums() {
    let orders = vec![("ord_1".to_owned(), eur(1)), ("ord_2".to_owned(), eur(2))];
    assert_eq!(rules::destination_total(Destination::Orders(&orders)), Ok(Some(eur(3))));
    assert_eq!(rules::destination_total(Destination::Wallet("acc")), Ok(None));
    let huge = vec![("ord_1".to_owned(), eur(i64::MAX)), ("ord_2".to_owned(), eur(2))];
    assert_eq!(
        rules::destination_total(Destination::Orders(&huge)),
        Err(LedgerError::Overflow)
    );
}

#[test]
fn a_payment_for_partly_cancelled_orders_splits_between_escrow_and_wallet() {
    let orders = vec![("ord_1".to_owned(), eur(700))];
    let dest = Destination::Split {
        orders: &orders,
        wallet: "acc_1",
        rest: eur(300),
    };
    let tx = rules::payment_received("pay_1", External::Bank, eur(1000), eur(0), dest).unwrap();
    balanced(&tx);
    assert_eq!(
        lines(&tx),
        vec![
            ("bank_clearing:platform:EUR".into(), -1000),
            ("wallet_available:acc_1:EUR".into(), 300),
            ("order_escrow:ord_1:EUR".into(), 700)
        ]
    );
    let wrong = Destination::Split {
        orders: &orders,
        wallet: "acc_1",
        rest: eur(200),
    };
    assert!(rules::payment_received("pay_1", External::Bank, eur(1000), eur(0), wrong).is_err());
}
