package io.llmmetering.creditapi.coupons;

import javax.sql.DataSource;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.UUID;

/** Creating, listing and deactivating coupons; redeeming one is a ledger operation ({@code CreditLedger#redeem}). */
public final class CouponAdmin {

    private static final String CREATE = """
            INSERT INTO coupon_codes (code, discount_type, discount_value, max_uses, expires_at, description, created_by)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (code) DO NOTHING
            RETURNING id, code, discount_type, discount_value, max_uses, times_used, expires_at, is_active, description, created_at
            """;
    private static final String LIST = """
            SELECT id, code, discount_type, discount_value, max_uses, times_used, expires_at, is_active, description, created_at
              FROM coupon_codes WHERE (? OR is_active) ORDER BY created_at DESC, id DESC LIMIT ?
            """;
    private static final String DEACTIVATE = """
            UPDATE coupon_codes SET is_active = false WHERE code = ?
            RETURNING id, code, discount_type, discount_value, max_uses, times_used, expires_at, is_active, description, created_at
            """;

    private final DataSource dataSource;

    public CouponAdmin(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public record NewCoupon(String code, String discountType, BigDecimal discountValue, OptionalInt maxUses,
                            Optional<OffsetDateTime> expiresAt, Optional<String> description) {
    }

    /** The new coupon, or empty when a coupon with this code exists already. */
    public Optional<Coupon> create(NewCoupon coupon, String createdBy) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement insert = connection.prepareStatement(CREATE)) {
            insert.setString(1, coupon.code());
            insert.setString(2, coupon.discountType());
            insert.setBigDecimal(3, coupon.discountValue());
            if (coupon.maxUses().isPresent()) {
                insert.setInt(4, coupon.maxUses().getAsInt());
            } else {
                insert.setNull(4, Types.INTEGER);
            }
            insert.setObject(5, coupon.expiresAt().orElse(null), Types.TIMESTAMP_WITH_TIMEZONE);
            insert.setString(6, coupon.description().orElse(null));
            insert.setString(7, createdBy);
            try (ResultSet row = insert.executeQuery()) {
                return row.next() ? Optional.of(coupon(row)) : Optional.empty();
            }
        }
    }

    public List<Coupon> list(boolean includeInactive, int limit) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement list = connection.prepareStatement(LIST)) {
            list.setBoolean(1, includeInactive);
            list.setInt(2, limit);
            List<Coupon> coupons = new ArrayList<>();
            try (ResultSet row = list.executeQuery()) {
                while (row.next()) {
                    coupons.add(coupon(row));
                }
            }
            return coupons;
        }
    }

    /** The deactivated coupon, or empty when there is none with this code. Redemptions already made stand. */
    public Optional<Coupon> deactivate(String code) throws SQLException {
        try (Connection connection = dataSource.getConnection(); PreparedStatement update = connection.prepareStatement(DEACTIVATE)) {
            update.setString(1, code);
            try (ResultSet row = update.executeQuery()) {
                return row.next() ? Optional.of(coupon(row)) : Optional.empty();
            }
        }
    }

    private static Coupon coupon(ResultSet row) throws SQLException {
        int maxUses = row.getInt(5);
        OptionalInt max = row.wasNull() ? OptionalInt.empty() : OptionalInt.of(maxUses);
        Timestamp expires = row.getTimestamp(7);
        return new Coupon(row.getObject(1, UUID.class), row.getString(2), row.getString(3), row.getBigDecimal(4), max, row.getInt(6),
                Optional.ofNullable(expires).map(Timestamp::toInstant), row.getBoolean(8), Optional.ofNullable(row.getString(9)),
                row.getTimestamp(10).toInstant());
    }
}
