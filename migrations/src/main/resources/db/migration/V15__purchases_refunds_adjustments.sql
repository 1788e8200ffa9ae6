-- Money in and out by admins. A purchase credits what a payment bought and carries the payment's external
-- reference as its idempotency key; a refund returns part or all of one purchase to the payer, so it takes credits
-- from the account: its amount is now negative (nothing wrote refunds before this version). An adjustment corrects
-- a balance either way and must say why.
ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_sign;
ALTER TABLE credit_transactions ADD CONSTRAINT credit_transactions_sign CHECK (
        (transaction_type IN ('allocation', 'purchase', 'coupon') AND amount > 0)
        OR (transaction_type = 'refund' AND amount < 0)
        OR (transaction_type IN ('deduction', 'usage') AND amount <= 0)
        OR (transaction_type = 'adjustment' AND amount <> 0 AND reason IS NOT NULL)) NOT VALID;
ALTER TABLE credit_transactions VALIDATE CONSTRAINT credit_transactions_sign;

-- POST /api/v1/admin/credits/purchase: one payment buys credits once, for one account
CREATE UNIQUE INDEX idx_credit_transactions_purchase_reference
    ON credit_transactions (idempotency_key) WHERE transaction_type = 'purchase';
