//! What an audit entry says happened: one word per kind of state change. The stored text is the
//! word, so entries written before this enum read the same.

use std::fmt;
use std::str::FromStr;

use crate::account::string_enum;
use crate::order::{OrderAction, RefundKind};
use crate::shop::ShopStatus;

/// The action of an audit entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    AccountRegistered,
    AccountLoggedIn,
    AccountLoggedOut,
    AccountPasswordChanged,
    AccountMadeOperator,
    LoginFailureBurst,
    TokenCreated,
    TokenRevoked,
    CompanyMemberInvited,
    CompanyInvitationAccepted,
    CompanyInvitationDeclined,
    CompanyInvitationWithdrawn,
    CompanyRoleChanged,
    CompanyMemberRemoved,
    CompanyApprovalLimitSet,
    CategoryCreated,
    ShopApplied,
    ShopPending,
    ShopInfoRequested,
    ShopApproved,
    ShopRejected,
    ShopDocumentUploaded,
    ShopDocumentDecided,
    ShopShippingRateSet,
    ShopPriceModeSet,
    ProductCreated,
    ProductUpdated,
    ProductVariantAdded,
    ProductVariantUpdated,
    ProductVariantArchived,
    ProductVariantRestored,
    ProductImageAdded,
    ProductImageRemoved,
    PriceChanged,
    PriceTiersSet,
    PriceCompanySet,
    StockSet,
    StockThresholdSet,
    CatalogImported,
    TaxRatesSet,
    OrdersPlaced,
    OrderApproved,
    OrderDeclined,
    OrderPaid,
    OrderShipped,
    OrderReceiptConfirmed,
    OrderAutoCompleted,
    OrderCashCollected,
    OrderCancelled,
    OrderRefunded,
    OrderPartiallyRefunded,
    JobRetried,
    CouponCreated,
    CouponDeactivated,
    CouponUpdated,
    ShopShippingMethodsSet,
    VariantWeightSet,
    AddressSaved,
    AddressDeleted,
    ConversationOpened,
    ConversationMessagePosted,
    OfferSettingsSet,
    NegotiationOpened,
    NegotiationCountered,
    NegotiationAccepted,
    NegotiationRejected,
    NegotiationWithdrawn,
    NegotiationExpired,
    RfqPublished,
    /// The buyer cancelled an open RFQ; its submitted quotes closed.
    RfqCancelled,
    QuoteSubmitted,
    QuoteAccepted,
    QuoteWithdrawn,
    QuoteExpired,
    /// A buyer rated the shop of a completed order.
    ShopRated,
    ContractSigned,
    PlatformKeyCreated,
    /// A wallet top-up was asked for (its payment created).
    PaymentStarted,
    PaymentSucceeded,
    PaymentFailed,
    /// A bank transfer whose amount did not match its payment went to suspense.
    PaymentTransferHeld,
    /// A bank transfer on an imported statement matched no payment: held in its own suspense.
    PaymentTransferUnmatched,
    /// An operator resolved a payment's suspense.
    PaymentSuspenseResolved,
    /// An operator set or cleared a commission rate.
    CommissionRateSet,
    /// A shop's owner registered the bank account its payouts go to.
    PayoutAccountSet,
    PayoutRequested,
    PayoutSent,
    PayoutFailed,
    /// A periodic record of every chain's head.
    AuditAnchored,
}

string_enum!(AuditAction {
    AccountRegistered = "account.registered",
    AccountLoggedIn = "account.logged_in",
    AccountLoggedOut = "account.logged_out",
    AccountPasswordChanged = "account.password_changed",
    AccountMadeOperator = "account.made_operator",
    LoginFailureBurst = "login.failure_burst",
    TokenCreated = "token.created",
    TokenRevoked = "token.revoked",
    CompanyMemberInvited = "company.member_invited",
    CompanyInvitationAccepted = "company.invitation_accepted",
    CompanyInvitationDeclined = "company.invitation_declined",
    CompanyInvitationWithdrawn = "company.invitation_withdrawn",
    CompanyRoleChanged = "company.role_changed",
    CompanyMemberRemoved = "company.member_removed",
    CompanyApprovalLimitSet = "company.approval_limit_set",
    CategoryCreated = "category.created",
    ShopApplied = "shop.applied",
    ShopPending = "shop.pending",
    ShopInfoRequested = "shop.info_requested",
    ShopApproved = "shop.approved",
    ShopRejected = "shop.rejected",
    ShopDocumentUploaded = "shop.document_uploaded",
    ShopDocumentDecided = "shop.document_decided",
    ShopShippingRateSet = "shop.shipping_rate_set",
    ShopPriceModeSet = "shop.price_mode_set",
    ProductCreated = "product.created",
    ProductUpdated = "product.updated",
    ProductVariantAdded = "product.variant_added",
    ProductVariantUpdated = "product.variant_updated",
    ProductVariantArchived = "product.variant_archived",
    ProductVariantRestored = "product.variant_restored",
    ProductImageAdded = "product.image_added",
    ProductImageRemoved = "product.image_removed",
    PriceChanged = "price.changed",
    PriceTiersSet = "price.tiers_set",
    PriceCompanySet = "price.company_set",
    StockSet = "stock.set",
    StockThresholdSet = "stock.threshold_set",
    CatalogImported = "catalog.imported",
    TaxRatesSet = "tax.rates_set",
    OrdersPlaced = "orders.placed",
    OrderApproved = "order.approved",
    OrderDeclined = "order.declined",
    OrderPaid = "order.paid",
    OrderShipped = "order.shipped",
    OrderReceiptConfirmed = "order.receipt_confirmed",
    OrderAutoCompleted = "order.auto_completed",
    OrderCashCollected = "order.cash_collected",
    OrderCancelled = "order.cancelled",
    OrderRefunded = "order.refunded",
    OrderPartiallyRefunded = "order.partially_refunded",
    JobRetried = "job.retried",
    CouponCreated = "coupon.created",
    CouponDeactivated = "coupon.deactivated",
    CouponUpdated = "coupon.updated",
    ShopShippingMethodsSet = "shop.shipping_methods_set",
    VariantWeightSet = "variant.weight_set",
    AddressSaved = "address.saved",
    AddressDeleted = "address.deleted",
    ConversationOpened = "conversation.opened",
    ConversationMessagePosted = "conversation.message_posted",
    OfferSettingsSet = "offer.settings_set",
    NegotiationOpened = "negotiation.opened",
    NegotiationCountered = "negotiation.countered",
    NegotiationAccepted = "negotiation.accepted",
    NegotiationRejected = "negotiation.rejected",
    NegotiationWithdrawn = "negotiation.withdrawn",
    NegotiationExpired = "negotiation.expired",
    RfqPublished = "rfq.published",
    RfqCancelled = "rfq.cancelled",
    QuoteSubmitted = "quote.submitted",
    QuoteAccepted = "quote.accepted",
    QuoteWithdrawn = "quote.withdrawn",
    QuoteExpired = "quote.expired",
    ShopRated = "shop.rated",
    ContractSigned = "contract.signed",
    PlatformKeyCreated = "platform_key.created",
    PaymentStarted = "payment.started",
    PaymentSucceeded = "payment.succeeded",
    PaymentFailed = "payment.failed",
    PaymentTransferHeld = "payment.transfer_held",
    PaymentTransferUnmatched = "payment.transfer_unmatched",
    PaymentSuspenseResolved = "payment.suspense_resolved",
    CommissionRateSet = "commission.rate_set",
    PayoutAccountSet = "payout.account_set",
    PayoutRequested = "payout.requested",
    PayoutSent = "payout.sent",
    PayoutFailed = "payout.failed",
    AuditAnchored = "audit.anchored",
});

impl AuditAction {
    /// The action recording that an order moved by `action`.
    pub fn order_moved_by(action: OrderAction) -> AuditAction {
        match action {
            OrderAction::Approve => AuditAction::OrderApproved,
            OrderAction::Decline => AuditAction::OrderDeclined,
            OrderAction::Pay => AuditAction::OrderPaid,
            OrderAction::Ship => AuditAction::OrderShipped,
            OrderAction::ConfirmReceipt => AuditAction::OrderReceiptConfirmed,
            OrderAction::AutoComplete => AuditAction::OrderAutoCompleted,
            OrderAction::CollectCash => AuditAction::OrderCashCollected,
            OrderAction::Cancel => AuditAction::OrderCancelled,
            OrderAction::Refund(RefundKind::Full) => AuditAction::OrderRefunded,
            OrderAction::Refund(RefundKind::Partial) => AuditAction::OrderPartiallyRefunded,
        }
    }

    /// The action recording that a shop moved to `status`.
    pub fn shop_moved_to(status: ShopStatus) -> AuditAction {
        match status {
            ShopStatus::Pending => AuditAction::ShopPending,
            ShopStatus::InfoRequested => AuditAction::ShopInfoRequested,
            ShopStatus::Approved => AuditAction::ShopApproved,
            ShopStatus::Rejected => AuditAction::ShopRejected,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_its_stored_text() {
        for a in AuditAction::ALL {
            assert_eq!(a.as_str().parse::<AuditAction>(), Ok(*a));
        }
        assert_eq!(AuditAction::ProductUpdated.as_str(), "product.updated");
    }

    #[test]
    fn an_order_move_is_recorded_as_its_timeline_event() {
        for a in OrderAction::ALL {
            assert_eq!(
                AuditAction::order_moved_by(a).as_str(),
                format!("order.{}", a.event_name())
            );
        }
    }

    #[test]
    fn a_shop_decision_keeps_its_old_action_text() {
        for s in ShopStatus::ALL {
            assert_eq!(AuditAction::shop_moved_to(*s).as_str(), format!("shop.{}", s.as_str()));
        }
    }
}
