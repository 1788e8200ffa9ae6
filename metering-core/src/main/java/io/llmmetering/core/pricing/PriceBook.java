package io.llmmetering.core.pricing;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The prices in force: model prices per 1K tokens, power-level multipliers and tier markups, under one version.
 * Immutable; a price change makes a new book ({@link #withModel}) so a calculator never sees half an update.
 */
public final class PriceBook {

    private final String version;
    private final Map<String, PricedModel> modelsById;
    private final Map<String, String> aliasToModel;
    private final Map<String, PowerLevel> powerLevels;
    private final Map<String, Tier> tiers;

    public PriceBook(String version, Collection<PricedModel> models, Map<String, String> aliases,
                     Collection<PowerLevel> powerLevels, Collection<Tier> tiers) {
        this.version = Objects.requireNonNull(version, "version");
        this.modelsById = index(models, m -> normalize(m.model()), "model");
        this.powerLevels = index(powerLevels, PowerLevel::name, "power level");
        this.tiers = index(tiers, Tier::name, "tier");
        this.aliasToModel = new LinkedHashMap<>();
        aliases.forEach((alias, model) -> {
            if (!modelsById.containsKey(normalize(model))) {
                throw new IllegalArgumentException("alias '" + alias + "' points at unpriced model '" + model + "'");
            }
            aliasToModel.put(normalize(alias), normalize(model));
        });
        if (!this.powerLevels.containsKey(PowerLevel.DEFAULT_NAME)) {
            throw new IllegalArgumentException("price book must define the default power level '" + PowerLevel.DEFAULT_NAME + "'");
        }
        if (!this.tiers.containsKey(Tier.DEFAULT_NAME)) {
            throw new IllegalArgumentException("price book must define the default tier '" + Tier.DEFAULT_NAME + "'");
        }
    }

    private static <T> Map<String, T> index(Collection<T> items, java.util.function.Function<T, String> key, String what) {
        Map<String, T> byKey = new LinkedHashMap<>();
        for (T item : items) {
            if (byKey.put(key.apply(item), item) != null) {
                throw new IllegalArgumentException("duplicate " + what + " '" + key.apply(item) + "'");
            }
        }
        return byKey;
    }

    private static String normalize(String model) {
        return model.strip().toLowerCase(Locale.ROOT);
    }

    public String version() {
        return version;
    }

    /**
     * The price of {@code model}, by one rule: its id or an alias (case and surrounding spaces ignored); else, for
     * an id routed through a gateway or provider ({@code openrouter/anthropic/claude-3-haiku}), the same with the
     * leading {@code provider/} segments removed one at a time, so the most specific priced id wins. Nothing else:
     * no date is stripped and no prefix matched, because a dated snapshot may cost what its family does not
     * ({@code gpt-4o-2024-05-13}); a snapshot is priced only where the book names it as an alias. Otherwise unknown.
     */
    public PricedModel model(String model) {
        if (model == null || model.isBlank()) {
            throw new UnknownModelException(String.valueOf(model));
        }
        String id = normalize(model);
        PricedModel price = lookup(id);
        for (int slash = id.indexOf('/'); price == null && slash >= 0; slash = id.indexOf('/', slash + 1)) {
            price = lookup(id.substring(slash + 1));
        }
        if (price == null) {
            throw new UnknownModelException(model);
        }
        return price;
    }

    private PricedModel lookup(String id) {
        PricedModel price = modelsById.get(id);
        return price != null ? price : modelsById.get(aliasToModel.getOrDefault(id, ""));
    }

    public boolean hasModel(String model) {
        try {
            model(model);
            return true;
        } catch (UnknownModelException e) {
            return false;
        }
    }

    /** The named power level; {@code null} or blank means {@link PowerLevel#DEFAULT_NAME}. */
    public PowerLevel powerLevel(String name) {
        String key = name == null || name.isBlank() ? PowerLevel.DEFAULT_NAME : name.strip().toLowerCase(Locale.ROOT);
        PowerLevel level = powerLevels.get(key);
        if (level == null) {
            throw new UnknownPowerLevelException(name, powerLevels.keySet());
        }
        return level;
    }

    /** The named tier; {@code null} or blank means {@link Tier#DEFAULT_NAME}. */
    public Tier tier(String name) {
        String key = name == null || name.isBlank() ? Tier.DEFAULT_NAME : name.strip().toLowerCase(Locale.ROOT);
        Tier tier = tiers.get(key);
        if (tier == null) {
            throw new UnknownTierException(name, tiers.keySet());
        }
        return tier;
    }

    public Collection<PricedModel> models() {
        return java.util.Collections.unmodifiableCollection(modelsById.values());
    }

    public Map<String, String> aliases() {
        return java.util.Collections.unmodifiableMap(aliasToModel);
    }

    public Collection<PowerLevel> powerLevels() {
        return java.util.Collections.unmodifiableCollection(powerLevels.values());
    }

    public Collection<Tier> tiers() {
        return java.util.Collections.unmodifiableCollection(tiers.values());
    }

    /** A new book, at {@code newVersion}, in which {@code price} replaces (or adds) its model; aliases stay. */
    public PriceBook withModel(PricedModel price, String newVersion) {
        Map<String, PricedModel> models = new LinkedHashMap<>(modelsById);
        models.put(normalize(price.model()), price);
        return new PriceBook(newVersion, models.values(), aliasToModel, powerLevels.values(), tiers.values());
    }

    /** As {@link #withModel(PricedModel, String)}, and {@code aliases} become exactly the model's aliases. */
    public PriceBook withModel(PricedModel price, Collection<String> aliases, String newVersion) {
        String id = normalize(price.model());
        Map<String, PricedModel> models = new LinkedHashMap<>(modelsById);
        models.put(id, price);
        Map<String, String> newAliases = new LinkedHashMap<>(aliasToModel);
        newAliases.values().removeIf(id::equals);
        aliases.forEach(alias -> newAliases.put(normalize(alias), id));
        return new PriceBook(newVersion, models.values(), newAliases, powerLevels.values(), tiers.values());
    }

    /** The aliases that resolve to {@code model}. */
    public java.util.List<String> aliasesOf(String model) {
        String id = normalize(model);
        return aliasToModel.entrySet().stream().filter(e -> e.getValue().equals(id)).map(Map.Entry::getKey).toList();
    }

    /** A new book, at {@code newVersion}, without {@code model} (retired or deleted); aliases to it go too. */
    public PriceBook withoutModel(String model, String newVersion) {
        String id = normalize(model);
        Map<String, PricedModel> models = new LinkedHashMap<>(modelsById);
        models.remove(id);
        Map<String, String> aliases = new LinkedHashMap<>(aliasToModel);
        aliases.values().removeIf(id::equals);
        return new PriceBook(newVersion, models.values(), aliases, powerLevels.values(), tiers.values());
    }

    /** A new book with the models of {@code other} added or replacing ours; tiers and power levels stay ours. */
    public PriceBook withModels(Collection<PricedModel> prices, String newVersion) {
        Map<String, PricedModel> models = new LinkedHashMap<>(modelsById);
        prices.forEach(price -> models.put(normalize(price.model()), price));
        return new PriceBook(newVersion, models.values(), aliasToModel, powerLevels.values(), tiers.values());
    }
}
