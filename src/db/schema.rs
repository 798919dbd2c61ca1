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
    }
}

diesel::joinable!(city_search_tokens -> cities (city_id));
diesel::allow_tables_to_appear_in_same_query!(cities, city_search_tokens);
