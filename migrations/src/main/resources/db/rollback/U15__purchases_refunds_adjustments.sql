-- Refunds go back to crediting the account, as V1 had them; refund rows written since V15 debit it, so the rollback
-- refuses while any exists rather than rewrite money.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM credit_transactions WHERE transaction_type = 'refund') THEN
        RAISE EXCEPTION 'credit_transactions holds refunds written by V15 (negative amounts): V1''s sign rule cannot hold them';
    END IF;
END $$;
DROP INDEX idx_credit_transactions_purchase_reference;
ALTER TABLE credit_transactions DROP CONSTRAINT credit_transactions_sign;
ALTER TABLE credit_transactions ADD CONSTRAINT credit_transactions_sign CHECK (
        (transaction_type IN ('allocation', 'purchase', 'coupon', 'refund') AND amount > 0)
        OR (transaction_type IN ('deduction', 'usage') AND amount <= 0)
        OR transaction_type = 'adjustment');
