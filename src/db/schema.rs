//! The tables, written by hand in the types both backends share (see `db::connection`).

diesel::table! {
    cities (id) {
        id -> BigInt,
        name -> Text,
        /// JSON object: BCP 47 language tag -> name.
        names -> Text,
        /// JSON array of strings.
        alternate_names -> Text,
        country_code -> Text,
        subdivision_code -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        population -> Nullable<BigInt>,
        timezone -> Nullable<Text>,
        wikidata_id -> Nullable<Text>,
        geonames_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// One row per normalised word of any of a city's names: the search index.
    city_search_tokens (token, city_id) {
        token -> Text,
        city_id -> BigInt,
        /// The city's population, or -1 when unknown: the search's sort key.
        population_rank -> BigInt,
    }
}

diesel::table! {
    /// An unordered pair of cities: `city_low_id < city_high_id`.
    twinnings (id) {
        id -> BigInt,
        city_low_id -> BigInt,
        city_high_id -> BigInt,
        kind -> Text,
        status -> Text,
        established -> Nullable<Text>,
        established_year -> Nullable<Integer>,
        /// MMDD of the start, 00 where unknown.
        established_md -> Integer,
        ended -> Nullable<Text>,
        notes -> Nullable<Text>,
        /// JSON array of URLs.
        source_urls -> Text,
        /// JSON array of `StatusChange`.
        status_history -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// Date of the latest completed event, kept by every event write.
        last_exchange -> Nullable<Text>,
        /// Last day (YYYYMMDD) of `last_exchange`.
        last_exchange_last -> Nullable<Integer>,
        /// The lower city's country, kept by triggers.
        country_low -> Text,
        /// The higher city's country, kept by triggers.
        country_high -> Text,
        /// JSON `Confirmed` of the lower city, NULL until it confirms.
        confirmed_low -> Nullable<Text>,
        /// JSON `Confirmed` of the higher city, NULL until it confirms.
        confirmed_high -> Nullable<Text>,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        twinning_id -> BigInt,
        kind -> Text,
        from_city_id -> BigInt,
        to_city_id -> BigInt,
        mode -> Nullable<Text>,
        status -> Text,
        /// None until known (never for a completed event).
        date -> Nullable<Text>,
        /// First and last day of `date`'s period, as YYYYMMDD (99991231 when undated).
        date_first -> Integer,
        date_last -> Integer,
        title -> Text,
        description -> Nullable<Text>,
        /// JSON array of BCP 47 tags.
        languages -> Text,
        /// JSON array of URLs.
        media_urls -> Text,
        participants -> Nullable<Integer>,
        in_reply_to -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The city whose staff reported the event; NULL for an admin.
        reported_by_city_id -> Nullable<BigInt>,
        /// JSON `StoredReview`: the sender's word on a report its partner made.
        review -> Nullable<Text>,
    }
}

diesel::table! {
    tokens (id) {
        id -> BigInt,
        name -> Text,
        /// SHA-256 of the secret, hex.
        secret_hash -> Text,
        is_admin -> Bool,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    token_cities (token_id, city_id) {
        token_id -> BigInt,
        city_id -> BigInt,
    }
}

diesel::table! {
    changes (id) {
        id -> BigInt,
        token_id -> Nullable<BigInt>,
        token_name -> Text,
        entity -> Text,
        entity_id -> BigInt,
        action -> Text,
        /// JSON of the entity before and after the write.
        before -> Nullable<Text>,
        after -> Nullable<Text>,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    /// Each language tag of an event, in lower case.
    event_languages (language, event_id) {
        language -> Text,
        event_id -> BigInt,
    }
}

diesel::table! {
    /// A receiver of the change feed, and its place in it.
    webhook_subscriptions (id) {
        id -> BigInt,
        url -> Text,
        secret -> Text,
        /// JSON lists of the entities, actions and cities it takes (empty: any).
        entities -> Text,
        actions -> Text,
        city_ids -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        /// Changes after this one are yet to become its deliveries.
        after_change_id -> BigInt,
        lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The secret before the last rotation, signing beside the new one
        /// until `previous_secret_until`.
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// One change for one subscription: the outbox.
    webhook_deliveries (id) {
        id -> BigInt,
        subscription_id -> BigInt,
        change_id -> BigInt,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_attempt_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        delivered_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(city_search_tokens -> cities (city_id));
diesel::allow_tables_to_appear_in_same_query!(
    cities,
    city_search_tokens,
    twinnings,
    events,
    event_languages,
    tokens,
    token_cities,
    changes,
    webhook_subscriptions,
    webhook_deliveries
);
