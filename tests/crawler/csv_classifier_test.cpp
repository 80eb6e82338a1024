#include "cairn/crawler/csv_classifier.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cairn/catalog/hive_type.h"
#include "cairn/catalog/names.h"
#include "cairn/crawler/compression.h"
#include "crawler/test_util.h"

namespace cairn::crawler {
namespace {

using test::columns_of;

FileSchema classify(std::string_view sample, const CsvOptions& options = {}) {
  std::optional<FileSchema> fs = classify_csv(sample, options);
  if (!fs) {
    ADD_FAILURE() << "not classified as CSV: " << sample.substr(0, 200);
    return {};
  }
  EXPECT_EQ(fs->classification, "csv");
  EXPECT_EQ(fs->input_format, "org.apache.hadoop.mapred.TextInputFormat");
  EXPECT_EQ(fs->output_format, "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat");
  return *fs;
}

bool has_header(const FileSchema& fs) {
  auto it = fs.parameters.find("skip.header.line.count");
  return it != fs.parameters.end() && it->second == "1";
}

std::string type_of(std::vector<std::string_view> values) {
  return infer_csv_column_type(values);
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// --- negative cases first ---

TEST(CsvClassifier, RejectsEmptyAndBlankSamples) {
  EXPECT_FALSE(classify_csv(""));
  EXPECT_FALSE(classify_csv("\n\n   \r\n\t\n"));
  EXPECT_FALSE(classify_csv("\xef\xbb\xbf"));
}

TEST(CsvClassifier, RejectsBinaryData) {
  std::string bytes;
  for (int i = 0; i < 4096; ++i) bytes += static_cast<char>((i * 131 + 7) % 256);
  EXPECT_FALSE(classify_csv(bytes));
  std::string with_nul = "a,b\n1,2\n";
  with_nul[5] = '\0';
  EXPECT_FALSE(classify_csv(with_nul));
  // A compressed file handed over without decompression is binary.
  std::string text = "id,name\n1,alice\n2,bob\n";
  uLongf n = compressBound(static_cast<uLong>(text.size()));
  std::string packed(n, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &n, reinterpret_cast<const Bytef*>(text.data()),
                     static_cast<uLong>(text.size())),
            Z_OK);
  packed.resize(n);
  EXPECT_FALSE(classify_csv(packed));
}

TEST(CsvClassifier, RejectsParquetFilesFromSharedData) {
  std::filesystem::path dir =
      std::filesystem::path(CAIRN_SOURCE_DIR) / ".." / "shared" / "data" / "parquet-testing";
  if (!std::filesystem::exists(dir / "alltypes_plain.parquet")) GTEST_SKIP() << "no shared data at " << dir;
  EXPECT_FALSE(classify_csv(read_file(dir / "alltypes_plain.parquet")));
  EXPECT_FALSE(classify_csv(read_file(dir / "alltypes_dictionary.parquet")));
}

TEST(CsvClassifier, RejectsFreeText) {
  EXPECT_FALSE(classify_csv(
      "It was the best of times, it was the worst of times, it was the age of wisdom.\n"
      "There were a king with a large jaw and a queen with a plain face; on the throne of England.\n"
      "It was the year of Our Lord one thousand seven hundred and seventy-five.\n"
      "Spiritual revelations were conceded to England at that favoured period, as at this.\n"));
  // One column of words: no delimiter at all.
  EXPECT_FALSE(classify_csv("alpha\nbravo\ncharlie\ndelta\n"));
}

TEST(CsvClassifier, RejectsInconsistentRows) {
  EXPECT_FALSE(classify_csv("a,b,c\n1,2\n3,4,5,6\n7\n8,9\n10,11,12,13,14\n"));
}

TEST(CsvClassifier, RejectsJson) {
  EXPECT_FALSE(classify_csv("{\"a\": 1, \"b\": 2}\n{\"a\": 3, \"b\": 4}\n"));
  EXPECT_FALSE(classify_csv("[{\"a\": 1, \"b\": 2},\n {\"a\": 3, \"b\": 4}]\n"));
  // A truncated JSON array is still JSON.
  CsvOptions truncated;
  truncated.truncated = true;
  EXPECT_FALSE(classify_csv("[{\"a\": 1, \"b\": 2},\n {\"a\": 3, \"b\"", truncated));
}

TEST(CsvClassifier, RejectsATruncatedSampleWithoutACompleteLine) {
  CsvOptions o;
  o.truncated = true;
  EXPECT_FALSE(classify_csv("id,name,city,country,zip", o));
}

// --- delimiters and quoting ---

TEST(CsvClassifier, DetectsEachDelimiter) {
  for (char d : {',', '|', '\t', ';', '\x01'}) {
    std::string s;
    for (const char* row : {"id|name|score", "1|alice|2.5", "2|bob|3.25", "3|carol|1e3"}) {
      std::string line = row;
      for (char& c : line) {
        if (c == '|') c = d;
      }
      s += line + "\n";
    }
    FileSchema fs = classify(s);
    EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "name:string", "score:double"}))
        << static_cast<int>(d);
    std::string expected = d == '\x01' ? "1" : std::string(1, d);  // LazySimpleSerDe reads "1" as byte 1
    EXPECT_EQ(fs.serde_parameters.at("field.delim"), expected);
    EXPECT_EQ(fs.parameters.at("delimiter"), expected);
    EXPECT_EQ(fs.serialization_library, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
    EXPECT_EQ(fs.parameters.at("areColumnsQuoted"), "false");
    EXPECT_TRUE(has_header(fs));
    EXPECT_EQ(fs.certainty, 1.0);
    EXPECT_EQ(fs.record_count, 3);
    EXPECT_TRUE(fs.record_count_exact);
  }
}

TEST(CsvClassifier, TabBeatsCommasInsideTabSeparatedText) {
  FileSchema fs = classify("city\tcountry\tn\nBerlin, Mitte\tDE\t1\nParis, 4e\tFR\t2\nRome, Centro\tIT\t3\n");
  EXPECT_EQ(fs.parameters.at("delimiter"), "\t");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"city:string", "country:string", "n:int"}));
}

TEST(CsvClassifier, SemicolonFilesWithDecimalCommas) {
  FileSchema fs = classify("name;price\npen;1,50\nbook;12,99\nbag;3,00\n");
  EXPECT_EQ(fs.parameters.at("delimiter"), ";");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"name:string", "price:string"}));
}

TEST(CsvClassifier, QuotedFieldsUseOpenCsvSerDeWithStringColumns) {
  FileSchema fs = classify(
      "id,name,comment\n"
      "1,\"Smith, John\",\"said \"\"hi\"\"\"\n"
      "2,\"Doe, Jane\",\"two\nlines\"\n"
      "3,Plain,\"a|b;c\"\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:string", "name:string", "comment:string"}));
  EXPECT_EQ(fs.serialization_library, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  EXPECT_EQ(fs.serde_parameters.at("separatorChar"), ",");
  EXPECT_EQ(fs.serde_parameters.at("quoteChar"), "\"");
  EXPECT_EQ(fs.serde_parameters.at("escapeChar"), "\\");
  EXPECT_EQ(fs.serde_parameters.count("field.delim"), 0u);
  EXPECT_EQ(fs.parameters.at("areColumnsQuoted"), "true");
  EXPECT_EQ(fs.columns[0].parameters.at("cairn.inferred_type"), "int");
  EXPECT_EQ(fs.columns[1].parameters.count("cairn.inferred_type"), 0u);
  EXPECT_EQ(fs.record_count, 3);  // the quoted line break does not start a row
  EXPECT_TRUE(has_header(fs));
  EXPECT_EQ(fs.certainty, 1.0);
}

TEST(CsvClassifier, QuotedHeaderAloneKeepsLazySimpleSerDe) {
  // The header line is skipped by the reader: only quoting in data rows calls for OpenCSVSerde.
  FileSchema fs = classify("\"id\",\"amount\"\n1,2.50\n2,3.10\n");
  EXPECT_EQ(fs.serialization_library, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "amount:decimal(18,2)"}));
  EXPECT_EQ(fs.parameters.at("areColumnsQuoted"), "false");
}

TEST(CsvClassifier, BackslashEscapes) {
  FileSchema quoted = classify("k,v\n1,\"a \\\"quoted\\\" word\"\n2,\"x, y\"\n");
  EXPECT_EQ(quoted.columns.size(), 2u);
  EXPECT_EQ(quoted.certainty, 1.0);
  // Outside quotes a backslash escapes the delimiter: LazySimpleSerDe gets escape.delim.
  FileSchema plain = classify("k,v\n1,a\\,b\n2,c\\,d\n3,e\n");
  EXPECT_EQ(columns_of(plain), (std::vector<std::string>{"k:int", "v:string"}));
  EXPECT_EQ(plain.serde_parameters.at("escape.delim"), "\\");
  EXPECT_EQ(plain.serde_parameters.at("field.delim"), ",");
}

TEST(CsvClassifier, MalformedQuotingLowersCertainty) {
  FileSchema fs = classify("a,b\n1,\"x\"y\n2,z\n");
  EXPECT_LT(fs.certainty, 1.0);
  EXPECT_GT(fs.certainty, 0.5);
}

TEST(CsvClassifier, LineEndingsAndByteOrderMark) {
  FileSchema crlf = classify("\xef\xbb\xbfid,name\r\n1,alice\r\n2,bob\r\n");
  EXPECT_EQ(columns_of(crlf), (std::vector<std::string>{"id:int", "name:string"}));
  EXPECT_EQ(crlf.record_count, 2);
  FileSchema cr = classify("id,name\r1,alice\r2,bob\r");
  EXPECT_EQ(cr.record_count, 2);
  FileSchema blank_lines = classify("id,name\n\n1,alice\n\n2,bob\n\n");
  EXPECT_EQ(blank_lines.record_count, 2);
}

// --- header detection ---

TEST(CsvClassifier, DetectsAnAllTextHeader) {
  FileSchema fs = classify("name,city\nalice,berlin\nbob,paris");
  EXPECT_TRUE(has_header(fs));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"name:string", "city:string"}));
  EXPECT_EQ(fs.record_count, 2);
  EXPECT_EQ(fs.certainty, 1.0);
}

TEST(CsvClassifier, FirstRowOfValuesIsNotAHeader) {
  FileSchema fs = classify("alice,berlin\nbob,paris\ncarol,rome\n");
  EXPECT_FALSE(has_header(fs));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"col0:string", "col1:string"}));
  EXPECT_EQ(fs.record_count, 3);
  FileSchema numbers = classify("1,2.5\n3,4.5\n");
  EXPECT_FALSE(has_header(numbers));
  EXPECT_EQ(columns_of(numbers), (std::vector<std::string>{"col0:int", "col1:double"}));
  FileSchema mixed = classify("alice,30\nbob,25\n");  // "30" is a value, not a name
  EXPECT_FALSE(has_header(mixed));
}

TEST(CsvClassifier, GluesRuleTextHeaderOverTypedValues) {
  FileSchema fs = classify("person,years\nalice,30\nbob,25\n");
  EXPECT_TRUE(has_header(fs));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"person:string", "years:int"}));
}

TEST(CsvClassifier, HeaderEvidenceBeyondTheDictionary) {
  // snake_case names over plain values (E2b)
  EXPECT_TRUE(has_header(classify("fst_nm,hm_twn\nalice,berlin\nbob,paris\n")));
  // values with digits, @, :, / under a plain word (E2c)
  EXPECT_TRUE(has_header(classify("contact,site\na@x.org,http://x.org\nb@y.org,https://y.org\n")));
  // another letter case than the values (E2d)
  EXPECT_TRUE(has_header(classify("Vorname,Stadt\nalice,berlin\nbob,paris\n")));
  EXPECT_TRUE(has_header(classify("VORNAME,STADT\nAlice,Berlin\nBob,Paris\n")));
}

TEST(CsvClassifier, HeaderRulesThatRejectAFirstRow) {
  // B5: the cell appears among its column's values
  EXPECT_FALSE(has_header(classify("name,city\nname,berlin\nbob,paris\n")));
  // B4: repeated cells
  EXPECT_FALSE(has_header(classify("name,name\nalice,berlin\nbob,paris\n")));
  // B1: an empty cell
  EXPECT_FALSE(has_header(classify("name,\nalice,berlin\nbob,paris\n")));
  // B3: a value-like cell (boolean)
  EXPECT_FALSE(has_header(classify("name,true\nalice,false\nbob,true\n")));
  // B2: not name-like (punctuation, too many words)
  EXPECT_FALSE(has_header(classify("name,hello! world\nalice,x\nbob,y\n")));
}

TEST(CsvClassifier, HeaderOnlyFile) {
  FileSchema fs = classify("customer_id,email\n");
  EXPECT_TRUE(has_header(fs));
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"customer_id:string", "email:string"}));
  EXPECT_EQ(fs.record_count, 0);
  EXPECT_EQ(fs.certainty, 0.5);
}

TEST(CsvClassifier, ColumnNamesAreSanitisedLikeGlue) {
  FileSchema fs = classify(
      "First Name,Unit Price ($),#,Order-Date,order_date,_x,Straße\nann,1.50,a,1,2,3,x\nbo,2.00,b,4,5,6,y\n");
  EXPECT_TRUE(has_header(fs));
  EXPECT_EQ(columns_of(fs),
            (std::vector<std::string>{"first_name:string", "unit_price:decimal(18,2)", "col2:string",
                                      "order_date:int", "col4:int", "_x:int", "stra_e:string"}));
  EXPECT_EQ(sanitize_csv_column_name("  Order-Date (UTC) "), "order_date_utc");
  EXPECT_EQ(sanitize_csv_column_name("CamelCase"), "camelcase");
  EXPECT_EQ(sanitize_csv_column_name("a__b"), "a__b");
  EXPECT_EQ(sanitize_csv_column_name("%%%"), "");
  EXPECT_EQ(sanitize_csv_column_name(std::string(300, 'a')).size(), 255u);
}

// --- types ---

TEST(CsvClassifier, TypeOfEachValueKind) {
  EXPECT_EQ(type_of({"1", "-2", "+3", "0"}), "int");
  EXPECT_EQ(type_of({"1", "3000000000"}), "bigint");
  EXPECT_EQ(type_of({"123456789012345678901234567890"}), "decimal(38,0)");
  EXPECT_EQ(type_of({std::string(40, '9')}), "string");
  EXPECT_EQ(type_of({"1.5e3", "2"}), "double");
  EXPECT_EQ(type_of({"3.14159", "2.5"}), "double");  // scales differ: measurements, not money
  EXPECT_EQ(type_of({"1.5", "2.5"}), "double");      // one scale but no sign of fixed formatting
  EXPECT_EQ(type_of({"12.50", "3.99", "100"}), "decimal(18,2)");
  EXPECT_EQ(type_of({"19.99", "5.49"}), "decimal(18,2)");  // scale 2 is money-like
  EXPECT_EQ(type_of({"52.5200", "13.4050"}), "decimal(18,4)");
  EXPECT_EQ(type_of({"12345678901234567.50"}), "decimal(38,2)");
  EXPECT_EQ(type_of({".5", "1"}), "double");
  EXPECT_EQ(type_of({"true", "FALSE", "True"}), "boolean");
  EXPECT_EQ(type_of({"2024-02-29", "1999-12-31"}), "date");
  EXPECT_EQ(type_of({"2023-02-29"}), "string");  // not a calendar day
  EXPECT_EQ(type_of({"2024-01-02 03:04:05", "2024-01-02 03:04:05.123456"}), "timestamp");
  EXPECT_EQ(type_of({"2024-01-02T03:04:05Z", "2024-01-02T03:04:05.5+02:00"}), "timestamp");
  EXPECT_EQ(type_of({"2024-01-02 03:04:05+02:00"}), "string");
  EXPECT_EQ(type_of({"2024-01-02 03:04"}), "string");
  EXPECT_EQ(type_of({"007", "123"}), "string");  // leading zeros: codes kept as written
  EXPECT_EQ(type_of({"NaN", "1.0"}), "string");
  EXPECT_EQ(type_of({"1,234"}), "string");
  EXPECT_EQ(type_of({"$12.50"}), "string");
}

TEST(CsvClassifier, WideningAcrossAColumn) {
  EXPECT_EQ(type_of({"1", "2147483648"}), "bigint");                       // int -> bigint
  EXPECT_EQ(type_of({"1", "2.5", "3.75"}), "double");                      // int + double -> double
  EXPECT_EQ(type_of({"2147483648", "0.5e1"}), "double");                   // bigint + double -> double
  EXPECT_EQ(type_of({"10", "12.50"}), "decimal(18,2)");                    // int + decimal -> decimal
  EXPECT_EQ(type_of({"1.50", "2.125"}), "double");                         // two scales -> double
  EXPECT_EQ(type_of({"1", "true"}), "string");                             // number + boolean -> string
  EXPECT_EQ(type_of({"1", "2024-01-01"}), "string");                       // number + date -> string
  EXPECT_EQ(type_of({"2024-01-01", "2024-01-01 10:00:00"}), "timestamp");  // date + timestamp
  EXPECT_EQ(type_of({"1", "abc"}), "string");                              // anything + text -> string
}

TEST(CsvClassifier, NullsDoNotDecideTypes) {
  EXPECT_EQ(type_of({"", "1", "\\N", "NULL", "null", "2"}), "int");
  EXPECT_EQ(type_of({"", "\\N", ""}), "string");
  EXPECT_EQ(type_of({}), "string");
  FileSchema fs = classify("id,amount,note\n1,,x\n2,3.50,\n3,,\n4\n5,1.00,y\n6,,z\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "amount:decimal(18,2)", "note:string"}));
}

TEST(CsvClassifier, TypesPerColumnInAFile) {
  FileSchema fs = classify(
      "id,big,price,ratio,flag,day,at,iso,label\n"
      "1,3000000000,9.99,0.125,true,2024-01-01,2024-01-01 10:00:00,2024-01-01T10:00:00Z,a\n"
      "2,4,19.90,1.5,false,2024-01-02,2024-01-02 11:30:00.250,2024-01-02T10:00:00.123+01:00,b\n");
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"id:int", "big:bigint", "price:decimal(18,2)",
                                                      "ratio:double", "flag:boolean", "day:date",
                                                      "at:timestamp", "iso:timestamp", "label:string"}));
  EXPECT_NE(fs.serde_parameters.at("timestamp.formats").find("yyyy-MM-dd'T'HH:mm:ss"), std::string::npos);
}

TEST(CsvClassifier, ValuesAreTrimmedUnlessDisabled) {
  FileSchema trimmed = classify("id,n\n1, 12 \n2, 13\n");
  EXPECT_EQ(columns_of(trimmed), (std::vector<std::string>{"id:int", "n:int"}));
  CsvOptions o;
  o.disable_value_trimming = true;
  FileSchema raw = classify("id,n\n1, 12 \n2, 13\n", o);
  EXPECT_EQ(columns_of(raw), (std::vector<std::string>{"id:int", "n:string"}));
}

// --- custom classifier settings override detection ---

TEST(CsvClassifier, CustomDelimiter) {
  CsvOptions o;
  o.delimiter = '|';
  FileSchema fs = classify("a,b|c\n1,2|3\n4,5|6\n", o);
  EXPECT_EQ(fs.parameters.at("delimiter"), "|");
  EXPECT_EQ(fs.columns.size(), 2u);
  o.delimiter = '#';
  EXPECT_FALSE(classify_csv("a,b\n1,2\n", o));  // the custom delimiter does not split this file
}

TEST(CsvClassifier, CustomHeaderPresentAbsentAndNames) {
  CsvOptions present;
  present.header = CsvHeader::Present;
  FileSchema p = classify("alice,berlin\nbob,paris\n", present);
  EXPECT_TRUE(has_header(p));
  EXPECT_EQ(columns_of(p), (std::vector<std::string>{"alice:string", "berlin:string"}));
  EXPECT_EQ(p.record_count, 1);

  CsvOptions absent;
  absent.header = CsvHeader::Absent;
  FileSchema a = classify("name,city\nalice,berlin\n", absent);
  EXPECT_FALSE(has_header(a));
  EXPECT_EQ(a.record_count, 2);

  CsvOptions names;
  names.custom_header = {"Person", "Town"};
  names.header = CsvHeader::Absent;
  FileSchema n = classify("alice,berlin\nbob,paris\n", names);
  EXPECT_EQ(columns_of(n), (std::vector<std::string>{"person:string", "town:string"}));
  EXPECT_FALSE(has_header(n));

  // Detect + custom names: a first row equal to the custom header is a header.
  CsvOptions detect_names;
  detect_names.custom_header = {"x", "y", "z"};
  FileSchema d = classify("X,Y,Z\n1,2,3\n", detect_names);
  EXPECT_TRUE(has_header(d));
  EXPECT_EQ(columns_of(d), (std::vector<std::string>{"x:int", "y:int", "z:int"}));

  // Fewer names than columns: the rest are col<i>.
  CsvOptions few;
  few.custom_header = {"first"};
  few.header = CsvHeader::Absent;
  EXPECT_EQ(columns_of(classify("1,2\n3,4\n", few)), (std::vector<std::string>{"first:int", "col1:int"}));
}

TEST(CsvClassifier, AllowSingleColumn) {
  CsvOptions o;
  o.allow_single_column = true;
  FileSchema fs = classify("alpha\nbravo\ncharlie\n", o);
  EXPECT_EQ(columns_of(fs), (std::vector<std::string>{"col0:string"}));
  EXPECT_EQ(fs.record_count, 3);
  FileSchema numbers = classify("value\n1\n2\n3\n", o);
  EXPECT_TRUE(has_header(numbers));
  EXPECT_EQ(columns_of(numbers), (std::vector<std::string>{"value:int"}));
}

TEST(CsvClassifier, CustomQuoteAndSerDe) {
  CsvOptions single;
  single.quote = '\'';
  FileSchema q = classify("id,name\n1,'Smith, John'\n2,'Doe, Jane'\n", single);
  EXPECT_EQ(q.columns.size(), 2u);
  EXPECT_EQ(q.serde_parameters.at("quoteChar"), "'");

  CsvOptions lazy;
  lazy.serde = CsvSerde::LazySimple;
  FileSchema l = classify("id,name\n1,\"alice\"\n2,\"bob\"\n", lazy);
  EXPECT_EQ(l.serialization_library, "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe");
  EXPECT_EQ(columns_of(l), (std::vector<std::string>{"id:int", "name:string"}));

  CsvOptions open;
  open.serde = CsvSerde::OpenCsv;
  FileSchema o = classify("id,name\n1,alice\n2,bob\n", open);
  EXPECT_EQ(o.serialization_library, "org.apache.hadoop.hive.serde2.OpenCSVSerde");
  EXPECT_EQ(columns_of(o), (std::vector<std::string>{"id:string", "name:string"}));
}

// --- samples and certainty ---

TEST(CsvClassifier, TruncatedSampleDropsThePartialLastLine) {
  std::string sample = "id,name\n1,alice\n2,bob\n3,caro";
  CsvOptions cut;
  cut.truncated = true;
  FileSchema t = classify(sample, cut);
  EXPECT_EQ(t.record_count, 2);
  EXPECT_FALSE(t.record_count_exact);
  FileSchema whole = classify(sample);
  EXPECT_EQ(whole.record_count, 3);
  EXPECT_TRUE(whole.record_count_exact);
  // Cut inside a quoted field that spans lines.
  FileSchema q = classify("id,text\n1,\"a\"\n2,\"multi\nline that is cu", cut);
  EXPECT_EQ(q.record_count, 1);
}

TEST(CsvClassifier, RaggedRowsLowerCertainty) {
  std::string s = "a,b,c\n";
  for (int i = 0; i < 9; ++i) s += std::to_string(i) + ",x,y\n";
  s += "9,x\n";
  FileSchema fs = classify(s);
  EXPECT_EQ(fs.columns.size(), 3u);
  EXPECT_LT(fs.certainty, 1.0);
  EXPECT_GE(fs.certainty, 0.8);
  EXPECT_EQ(fs.record_count, 10);
}

TEST(CsvClassifier, OneRowIsUncertain) {
  FileSchema fs = classify("1,2,3\n");
  EXPECT_EQ(fs.certainty, 0.5);
  EXPECT_FALSE(has_header(fs));
}

TEST(CsvClassifier, CompressedFileSampledThenClassified) {
  std::string text = "order_id,amount,placed_at\n";
  for (int i = 0; i < 20000; ++i) {
    text += std::to_string(i) + "," + std::to_string(i % 100) + "." + std::to_string(10 + i % 90) +
            ",2024-03-01 12:00:00\n";
  }
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string gz(deflateBound(&zs, text.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(text.data());
  zs.avail_in = static_cast<uInt>(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(gz.data());
  zs.avail_out = static_cast<uInt>(gz.size());
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  gz.resize(zs.total_out);
  deflateEnd(&zs);

  Codec codec = detect_codec(gz, "orders.csv.gz");
  ASSERT_EQ(codec, Codec::Gzip);
  // Read only the first 8 KiB of the compressed file, decode at most 64 KiB.
  DecompressedSample sample = decompress_sample(std::string_view(gz).substr(0, 8192), codec, 64 * 1024);
  CsvOptions o;
  o.truncated = !sample.complete;
  FileSchema fs = classify(sample.data, o);
  EXPECT_EQ(columns_of(fs),
            (std::vector<std::string>{"order_id:int", "amount:decimal(18,2)", "placed_at:timestamp"}));
  EXPECT_FALSE(fs.record_count_exact);
  EXPECT_GT(*fs.record_count, 100);
}

}  // namespace
}  // namespace cairn::crawler
