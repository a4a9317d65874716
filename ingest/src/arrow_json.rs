//! One Arrow cell as a JSON value, for the `metadata` column of Parquet inputs.
//!
//! - Hand-written because `arrow-json` pulls `arrow-cast` (one of the slowest units of a cold
//!   build, see shared notes) for what is a cell-by-cell walk here.
//! - Numbers, strings and booleans map to themselves; lists, structs and maps nest; timestamps
//!   and dates become ISO 8601 strings (`Z` when the column has a time zone: the stored
//!   instant is UTC); decimals their exact text; anything else its type name in angle brackets.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrowPrimitiveType, PrimitiveArray};
use arrow_schema::{DataType, TimeUnit};
use serde_json::{Map, Value};

/// The JSON value of row `i` of `a` (`Null` for a null cell).
pub fn cell(a: &dyn Array, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Boolean => a.as_boolean().value(i).into(),
        DataType::Int8 => num::<Int8Type>(a, i),
        DataType::Int16 => num::<Int16Type>(a, i),
        DataType::Int32 => num::<Int32Type>(a, i),
        DataType::Int64 => num::<Int64Type>(a, i),
        DataType::UInt8 => num::<UInt8Type>(a, i),
        DataType::UInt16 => num::<UInt16Type>(a, i),
        DataType::UInt32 => num::<UInt32Type>(a, i),
        DataType::UInt64 => num::<UInt64Type>(a, i),
        // NaN and infinities have no JSON number: null, as serde_json does.
        DataType::Float32 => (a.as_primitive::<Float32Type>().value(i) as f64).into(),
        DataType::Float64 => a.as_primitive::<Float64Type>().value(i).into(),
        DataType::Utf8 => a.as_string::<i32>().value(i).into(),
        DataType::LargeUtf8 => a.as_string::<i64>().value(i).into(),
        DataType::Utf8View => a.as_string_view().value(i).into(),
        DataType::Binary => String::from_utf8_lossy(a.as_binary::<i32>().value(i)).into(),
        DataType::LargeBinary => String::from_utf8_lossy(a.as_binary::<i64>().value(i)).into(),
        DataType::Timestamp(unit, tz) => {
            let v = match unit {
                TimeUnit::Second => stamp::<TimestampSecondType>(a, i),
                TimeUnit::Millisecond => stamp::<TimestampMillisecondType>(a, i),
                TimeUnit::Microsecond => stamp::<TimestampMicrosecondType>(a, i),
                TimeUnit::Nanosecond => stamp::<TimestampNanosecondType>(a, i),
            };
            match (v, tz) {
                (Some(s), Some(_)) => format!("{s}Z").into(),
                (Some(s), None) => s.into(),
                (None, _) => Value::Null,
            }
        }
        DataType::Date32 => date::<Date32Type>(a, i),
        DataType::Date64 => date::<Date64Type>(a, i),
        DataType::Decimal128(..) => a.as_primitive::<Decimal128Type>().value_as_string(i).into(),
        DataType::List(_) => list(a.as_list::<i32>().value(i).as_ref()),
        DataType::LargeList(_) => list(a.as_list::<i64>().value(i).as_ref()),
        DataType::FixedSizeList(..) => list(a.as_fixed_size_list().value(i).as_ref()),
        DataType::Struct(fields) => {
            let s = a.as_struct();
            let m: Map<String, Value> = fields
                .iter()
                .zip(s.columns())
                .map(|(f, c)| (f.name().clone(), cell(c.as_ref(), i)))
                .collect();
            Value::Object(m)
        }
        DataType::Map(..) => {
            let e = a.as_map().value(i);
            let (k, v) = (e.column(0), e.column(1));
            let m: Map<String, Value> = (0..e.len())
                .map(|j| match cell(k.as_ref(), j) {
                    Value::String(s) => (s, cell(v.as_ref(), j)),
                    other => (other.to_string(), cell(v.as_ref(), j)),
                })
                .collect();
            Value::Object(m)
        }
        DataType::Dictionary(..) => match a.as_any_dictionary_opt() {
            Some(d) => match cell(d.keys(), i).as_u64() {
                Some(k) => cell(d.values().as_ref(), k as usize),
                None => Value::Null,
            },
            None => Value::Null,
        },
        other => format!("<{other}>").into(),
    }
}

fn num<T: ArrowPrimitiveType>(a: &dyn Array, i: usize) -> Value
where
    T::Native: Into<serde_json::Number>,
{
    Value::Number(a.as_primitive::<T>().value(i).into())
}

fn list(a: &dyn Array) -> Value {
    Value::Array((0..a.len()).map(|j| cell(a, j)).collect())
}

/// `2024-05-01T12:00:00` (chrono's Debug is ISO 8601 with a `T`, documented).
fn stamp<T: ArrowPrimitiveType<Native = i64>>(a: &dyn Array, i: usize) -> Option<String> {
    let p: &PrimitiveArray<T> = a.as_primitive::<T>();
    arrow_array::temporal_conversions::as_datetime::<T>(p.value(i)).map(|d| format!("{d:?}"))
}

fn date<T: ArrowPrimitiveType>(a: &dyn Array, i: usize) -> Value
where
    T::Native: Into<i64>,
{
    let v: i64 = a.as_primitive::<T>().value(i).into();
    match arrow_array::temporal_conversions::as_date::<T>(v) {
        Some(d) => format!("{d:?}").into(),
        None => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{ListBuilder, StringBuilder};
    use arrow_array::{ArrayRef, Int64Array, StringArray, StructArray, TimestampSecondArray};
    use arrow_schema::Field;
    use std::sync::Arc;

    #[test]
    fn nested_and_temporal_cells_become_json() {
        let mut tags = ListBuilder::new(StringBuilder::new());
        tags.values().append_value("a");
        tags.values().append_value("b");
        tags.append(true);
        tags.append(true);
        let tags = tags.finish();
        let meta = StructArray::from(vec![
            (
                Arc::new(Field::new("k", DataType::Int64, true)),
                Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
            ),
            (
                Arc::new(Field::new("tags", tags.data_type().clone(), true)),
                Arc::new(tags) as ArrayRef,
            ),
        ]);
        assert_eq!(
            cell(&meta, 0),
            serde_json::json!({"k": 1, "tags": ["a", "b"]})
        );
        assert_eq!(cell(&meta, 1), serde_json::json!({"k": null, "tags": []}));
        let ts = TimestampSecondArray::from(vec![1_700_000_000]);
        assert_eq!(cell(&ts, 0), "2023-11-14T22:13:20");
        assert_eq!(cell(&ts.with_timezone("UTC"), 0), "2023-11-14T22:13:20Z");
        let s = StringArray::from(vec![None, Some("中文")]);
        assert_eq!((cell(&s, 0), cell(&s, 1)), (Value::Null, "中文".into()));
    }
}
