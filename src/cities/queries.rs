//! The diesel queries of cities; each runs on either backend.

use super::model::{CityRow, CityValues};
use super::search;
use super::validate::ValidCity;
use crate::db::DbConnection;
use crate::db::schema::{cities, city_search_tokens};
use crate::error::{AppError, ErrorCode};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Text, Untyped};

/// Past this many index entries a search prefix counts as common.
const COMMON_PREFIX: i64 = 5000;

/// Search words are indexed by their first two and by their first three
/// letters, each with the city's rank (migration `search_prefix_indexes`).
const PREFIX_INDEXED: [usize; 2] = [2, 3];

/// Past this many index entries a one-word prefix longer than
/// `PREFIX_INDEXED` is walked in its first letters' index, largest city
/// first, rather than collected and sorted: then enough of the walk matches.
const DENSE_PREFIX: i64 = 1000;

/// Sort key of city lists: population (unknown last), then id.
pub type CityKey = (Option<i64>, i64);

pub fn key(row: &CityRow) -> CityKey {
    (row.population, row.id)
}

pub struct CityFilter {
    pub words: Vec<String>,
    pub country: Option<String>,
    pub after: Option<CityKey>,
    pub limit: i64,
}

pub fn find(conn: &mut DbConnection, id: i64) -> Result<CityRow, AppError> {
    crate::on_backend!(conn, |c| cities::table.find(id).first(c).optional())?
        .ok_or_else(|| AppError::not_found("city", id))
}

/// Locks the city's row until the transaction ends (PostgreSQL; SQLite has
/// one writer), so a read-check-write such as `If-Match` cannot interleave.
pub fn lock(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    diesel::update(cities::table.find(id))
        .set(cities::id.eq(cities::id))
        .execute(conn)?;
    Ok(())
}

/// Inserts a city, with the given id (imports) or the next one.
pub fn insert(
    conn: &mut DbConnection,
    city: &ValidCity,
    id: Option<i64>,
) -> Result<CityRow, AppError> {
    let created = conn.transaction(|conn| insert_row(conn, city, id));
    created.map_err(|e| unique_conflict(conn, e, &city.values))
}

/// The city and its search words, without a savepoint of its own: for
/// callers (imports) that already hold one per record.
pub fn insert_row(
    conn: &mut DbConnection,
    city: &ValidCity,
    id: Option<i64>,
) -> QueryResult<CityRow> {
    let created_at = cities::created_at.eq(city.values.updated_at);
    let insert = diesel::insert_into(cities::table);
    let row: CityRow = match id {
        Some(id) => crate::on_backend!(conn, |c| insert
            .values((&city.values, created_at, cities::id.eq(id)))
            .returning(cities::all_columns)
            .get_result(c)?),
        None => crate::on_backend!(conn, |c| insert
            .values((&city.values, created_at))
            .returning(cities::all_columns)
            .get_result(c)?),
    };
    insert_tokens(conn, row.id, city.values.population, &city.tokens)?;
    Ok(row)
}

pub fn update(conn: &mut DbConnection, id: i64, city: &ValidCity) -> Result<CityRow, AppError> {
    let updated = conn.transaction(|conn| {
        let row: Option<CityRow> = diesel::update(cities::table.find(id))
            .set(&city.values)
            .returning(cities::all_columns)
            .get_result(conn)
            .optional()?;
        if row.is_some() {
            diesel::delete(city_search_tokens::table.filter(city_search_tokens::city_id.eq(id)))
                .execute(conn)?;
            insert_tokens(conn, id, city.values.population, &city.tokens)?;
        }
        Ok::<_, DieselError>(row)
    });
    updated
        .map_err(|e| unique_conflict(conn, e, &city.values))?
        .ok_or_else(|| AppError::not_found("city", id))
}

pub fn delete(conn: &mut DbConnection, id: i64) -> Result<(), AppError> {
    let deleted = diesel::delete(cities::table.find(id))
        .execute(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                AppError::conflict(
                    ErrorCode::CityInUse,
                    format!("city {id} is still referred to (by a twinning or an event); remove those first"),
                )
            }
            other => other.into(),
        })?;
    if deleted == 0 {
        return Err(AppError::not_found("city", id));
    }
    Ok(())
}

/// The sort key a city's search words carry: its population, -1 when unknown.
fn population_rank(population: Option<i64>) -> i64 {
    population.unwrap_or(-1)
}

/// One page (plus one row, to know whether there is a next page), each
/// city without its alternate names.
pub fn list(conn: &mut DbConnection, filter: &CityFilter) -> Result<Vec<CityRow>, AppError> {
    if let ([word], None) = (filter.words.as_slice(), &filter.country) {
        let letters = word.chars().count();
        let [shortest, longest] = PREFIX_INDEXED;
        let ids = if letters < shortest {
            // One letter: nearly every large city has a word starting with
            // it, so walking the cities largest first ends at once.
            let common = more_than(conn, word, COMMON_PREFIX)?;
            if common {
                page_ids(conn, filter, &[true])?
            } else {
                by_one_prefix(conn, word, filter)?
            }
        } else if letters <= longest || more_than(conn, word, DENSE_PREFIX)? {
            by_indexed_prefix(conn, word, letters.min(longest), filter)?
        } else {
            by_one_prefix(conn, word, filter)?
        };
        return rows_in_order(conn, &ids);
    }
    let common = filter
        .words
        .iter()
        .map(|word| more_than(conn, word, COMMON_PREFIX))
        .collect::<Result<Vec<bool>, AppError>>()?;
    let ids = page_ids(conn, filter, &common)?;
    rows_in_order(conn, &ids)
}

/// The page of a one-word search from the index of the word's first
/// `letters` letters, whose entries run largest city first: the walk stops
/// at a page of distinct cities. For a longer word each entry is checked
/// against the whole word, which is quick while the word is common.
fn by_indexed_prefix(
    conn: &mut DbConnection,
    word: &str,
    letters: usize,
    filter: &CityFilter,
) -> Result<Vec<i64>, AppError> {
    let first: String = word.chars().take(letters).collect();
    let upper = search::prefix_upper_bound(word);
    let (after_rank, after_id) = match filter.after {
        Some((population, id)) => (population_rank(population), id),
        None => (i64::MAX, 0),
    };
    match letters {
        2 => indexed_prefix::<2>(conn, &first, word, &upper, (after_rank, after_id), filter),
        _ => indexed_prefix::<3>(conn, &first, word, &upper, (after_rank, after_id), filter),
    }
}

/// [`by_indexed_prefix`] on the index of the first `N` letters.
fn indexed_prefix<const N: usize>(
    conn: &mut DbConnection,
    first: &str,
    word: &str,
    upper: &str,
    (after_rank, after_id): (i64, i64),
    filter: &CityFilter,
) -> Result<Vec<i64>, AppError> {
    let rank = city_search_tokens::population_rank;
    let id = city_search_tokens::city_id;
    Ok(crate::on_backend!(conn, |c| city_search_tokens::table
        .filter(Leading::<N>.eq(first))
        .filter(city_search_tokens::token.ge(word))
        .filter(city_search_tokens::token.lt(upper))
        .filter(
            rank.lt(after_rank)
                .or(rank.eq(after_rank).and(id.gt(after_id)))
        )
        .group_by((rank, id))
        .select(id)
        .order((rank.desc(), id.asc()))
        .limit(filter.limit + 1)
        .load::<i64>(c)?))
}

/// `substr(token, 1, N)`: the expression of the index of search words' first
/// `N` letters, letter for letter (a bound length would not match the
/// index), as a fragment of its own so that the statement stays prepared
/// (raw `sql` text never is).
#[derive(Debug, Clone, Copy)]
struct Leading<const N: usize>;

impl<const N: usize> diesel::expression::Expression for Leading<N> {
    type SqlType = Text;
}

impl<const N: usize> diesel::expression::AppearsOnTable<city_search_tokens::table> for Leading<N> {}

impl<const N: usize> diesel::expression::ValidGrouping<()> for Leading<N> {
    type IsAggregate = diesel::expression::is_aggregate::No;
}

impl<const N: usize> diesel::query_builder::QueryId for Leading<N> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<const N: usize, DB: diesel::backend::Backend> diesel::query_builder::QueryFragment<DB>
    for Leading<N>
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(&format!("substr(token, 1, {N})"));
        Ok(())
    }
}

/// More than `count` search words start with `word`. Past `COMMON_PREFIX`,
/// walking the cities largest first, checking each, is quicker than
/// sorting them.
fn more_than(conn: &mut DbConnection, word: &str, count: i64) -> Result<bool, AppError> {
    let upper = search::prefix_upper_bound(word);
    Ok(crate::on_backend!(conn, |c| city_search_tokens::table
        .filter(city_search_tokens::token.ge(word))
        .filter(city_search_tokens::token.lt(upper))
        .select(city_search_tokens::city_id)
        .offset(count)
        .first::<i64>(c)
        .optional()?)
    .is_some())
}

/// The page of a one-word search for a prefix that is not common, from the
/// word rows alone: the prefix's range of the search index, each city once,
/// ordered by the sort key the rows carry. The statement has one shape for
/// every page, so it is prepared once.
fn by_one_prefix(
    conn: &mut DbConnection,
    word: &str,
    filter: &CityFilter,
) -> Result<Vec<i64>, AppError> {
    let upper = search::prefix_upper_bound(word);
    // Past the cursor's (rank, id); the first page starts above every rank.
    let (after_rank, after_id) = match filter.after {
        Some((population, id)) => (population_rank(population), id),
        None => (i64::MAX, 0),
    };
    let rank = city_search_tokens::population_rank;
    let id = city_search_tokens::city_id;
    Ok(crate::on_backend!(conn, |c| city_search_tokens::table
        .filter(city_search_tokens::token.ge(word))
        .filter(city_search_tokens::token.lt(&upper))
        .filter(
            rank.lt(after_rank)
                .or(rank.eq(after_rank).and(id.gt(after_id)))
        )
        .group_by((id, rank))
        .select(id)
        .order((rank.desc(), id.asc()))
        .limit(filter.limit + 1)
        .load::<i64>(c)?))
}

/// The rows of `ids`, in that order, for a list: without their alternate
/// names, which no list shows (GeoNames has hundreds for a big city, and
/// decoding them took more time than the rest of a search page).
fn rows_in_order(conn: &mut DbConnection, ids: &[i64]) -> Result<Vec<CityRow>, AppError> {
    let mut rows: Vec<CityRow> = crate::load_by_ids!(
        conn,
        cities::table.select((
            cities::id,
            cities::name,
            cities::names,
            "[]".into_sql::<Text>(),
            cities::country_code,
            cities::subdivision_code,
            cities::latitude,
            cities::longitude,
            cities::population,
            cities::timezone,
            cities::wikidata_id,
            cities::geonames_id,
            cities::created_at,
            cities::updated_at,
        )),
        cities::id,
        ids
    )?;
    let position: std::collections::HashMap<i64, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|row| position.get(&row.id).copied().unwrap_or(usize::MAX));
    Ok(rows)
}

/// The ids of one page of any city list, from the cities table.
/// `common`: whether each word of the filter is a common prefix.
fn page_ids(
    conn: &mut DbConnection,
    filter: &CityFilter,
    common: &[bool],
) -> Result<Vec<i64>, AppError> {
    let mut query = cities::table.into_boxed();
    for (word, &common) in filter.words.iter().zip(common) {
        let upper = search::prefix_upper_bound(word);
        // A rare prefix: collect its few cities and sort them. A common one
        // (thousands of words): walk the cities largest first and stop at a
        // page, checking each against the (city_id, token) index.
        if common {
            query = query.filter(diesel::dsl::exists(
                city_search_tokens::table
                    .filter(city_search_tokens::city_id.eq(cities::id))
                    .filter(city_search_tokens::token.ge(word.clone()))
                    .filter(city_search_tokens::token.lt(upper)),
            ));
        } else {
            let matching = city_search_tokens::table
                .filter(city_search_tokens::token.ge(word.clone()))
                .filter(city_search_tokens::token.lt(upper))
                .select(city_search_tokens::city_id);
            query = query.filter(cities::id.eq_any(matching));
        }
    }
    if let Some(country) = &filter.country {
        query = query.filter(cities::country_code.eq(country.clone()));
    }
    match filter.after {
        Some((Some(population), id)) => {
            query = query.filter(
                cities::population
                    .lt(population)
                    .or(cities::population.eq(population).and(cities::id.gt(id)))
                    .or(cities::population.is_null()),
            );
        }
        Some((None, id)) => {
            query = query.filter(cities::population.is_null().and(cities::id.gt(id)));
        }
        None => {}
    }
    // Both backends understand NULLS LAST; it matches the indexes of the migrations.
    // The page's ids first, then their rows: sorting ids alone spares the
    // database from carrying every candidate's long name lists through the sort.
    Ok(query
        .select(cities::id)
        .order(sql::<Untyped>(
            "cities.population DESC NULLS LAST, cities.id ASC",
        ))
        .limit(filter.limit + 1)
        .load(conn)?)
}

/// Inserts a city's search words, each with the city's population rank.
fn insert_tokens(
    conn: &mut DbConnection,
    city_id: i64,
    population: Option<i64>,
    tokens: &[String],
) -> QueryResult<()> {
    let rank = population_rank(population);
    use diesel::sql_types::{BigInt, Text};
    match conn {
        // One prepared single-row insert per token: a statement over the
        // whole list would be parsed anew for every city.
        DbConnection::Sqlite(c) => {
            for token in tokens {
                diesel::insert_into(city_search_tokens::table)
                    .values((
                        city_search_tokens::token.eq(token),
                        city_search_tokens::city_id.eq(city_id),
                        city_search_tokens::population_rank.eq(rank),
                    ))
                    .execute(c)?;
            }
        }
        // One round trip for the whole list.
        DbConnection::Postgres(c) if !tokens.is_empty() => {
            let json = serde_json::to_string(tokens).unwrap_or_else(|_| "[]".into());
            diesel::sql_query(
                "INSERT INTO city_search_tokens (token, city_id, population_rank) SELECT value, $1, $2 FROM json_array_elements_text($3::json)",
            )
            .bind::<BigInt, _>(city_id)
            .bind::<BigInt, _>(rank)
            .bind::<Text, _>(json)
            .execute(c)?;
        }
        DbConnection::Postgres(_) => {}
    }
    Ok(())
}

/// A unique violation names the external id already taken, and where.
fn unique_conflict(conn: &mut DbConnection, error: DieselError, city: &CityValues) -> AppError {
    let DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) = &error else {
        return error.into();
    };
    let about = format!(
        "{} {}",
        info.message(),
        info.constraint_name().unwrap_or("")
    );
    let existing = if about.contains("wikidata_id") {
        city.wikidata_id.as_ref().and_then(|q| {
            cities::table
                .filter(cities::wikidata_id.eq(q))
                .select(cities::id)
                .first::<i64>(conn)
                .ok()
                .map(|id| ("wikidata_id", q.clone(), id))
        })
    } else if about.contains("geonames_id") {
        city.geonames_id.and_then(|g| {
            cities::table
                .filter(cities::geonames_id.eq(g))
                .select(cities::id)
                .first::<i64>(conn)
                .ok()
                .map(|id| ("geonames_id", g.to_string(), id))
        })
    } else {
        None
    };
    match existing {
        Some((field, value, id)) => AppError::conflict(
            ErrorCode::CityExists,
            format!("city {id} already has {field} {value}"),
        )
        .with_existing(format!("/api/v1/cities/{id}")),
        None => error.into(),
    }
}

/// A field error for each id of `field` (a list) that names no city.
pub fn missing(
    conn: &mut DbConnection,
    field: &str,
    ids: &[i64],
) -> Result<Vec<crate::error::FieldError>, AppError> {
    let known: Vec<i64> = cities::table
        .filter(cities::id.eq_any(ids))
        .select(cities::id)
        .load(conn)?;
    Ok(ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !known.contains(id))
        .map(|(i, id)| {
            crate::error::FieldError::new(
                format!("{field}[{i}]"),
                format!("there is no city with id {id}"),
            )
        })
        .collect())
}
