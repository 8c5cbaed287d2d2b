/* demo_data.h — tables for hocba-demo: schools, places, names, the
 * evaluation vocabulary of Circular 27/2020 (primary) and 22/2021 (lower and
 * upper secondary), and the phrases teachers write.
 *
 * Included by the parts of hocba-demo (tools/demo.h). Everything here is invented demo data: the
 * schools carry real-sounding names in real places so that the portal can be
 * tried on realistic text (diacritics, long names), but no record describes a
 * real pupil, teacher or school. Province codes are the two-digit codes of
 * the statistics office (school codes) and the three-digit codes that open a
 * citizen identity number. */
#ifndef HOCBA_DEMO_DATA_H
#define HOCBA_DEMO_DATA_H

#define DEMO_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- schools ------------------------------------------------------------ */

/* The level a school teaches. */
enum { DEMO_TIEUHOC = 0, DEMO_THCS = 1, DEMO_THPT = 2 };

/** An ethnic group other than Kinh and how common it is among a school's pupils. */
typedef struct {
    const char *name;
    int permille;
} demo_minority_t;

typedef struct {
    const char *name;     /* as printed on the transcript */
    const char *province; /* as of May 2025 */
    const char *district;
    const char *ward;
    const char *code5; /* province (2) + district (3) digits; the school code appends 3 more */
    const char *cccd3; /* three-digit province code of citizen ids, for pupils born there */
    const char *alley; /* local word for a lane: ngõ, hẻm, kiệt */
    const char *streets[3];
    demo_minority_t minorities[3];
    int level; /* DEMO_TIEUHOC, DEMO_THCS or DEMO_THPT */
    int gdtx;  /* 1: a trung tâm GDNN-GDTX (continuing education) */
} demo_school_t;

/* The first eight are used for every run, the rest as --students grows. */
static const demo_school_t DEMO_SCHOOLS[] = {
    {"Trường Tiểu học Kim Đồng",
     "Hà Nội",
     "Quận Ba Đình",
     "Phường Kim Mã",
     "01001",
     "001",
     "ngõ",
     {"phố Kim Mã", "phố Đội Cấn", "phố Liễu Giai"},
     {{"Mường", 8}, {"Tày", 6}, {"Hoa", 2}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Nguyễn Du",
     "Thành phố Hồ Chí Minh",
     "Quận 1",
     "Phường Bến Thành",
     "79760",
     "079",
     "hẻm",
     {"đường Lê Thánh Tôn", "đường Nguyễn Du", "đường Lý Tự Trọng"},
     {{"Hoa", 30}, {"Khmer", 5}, {"Tày", 2}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Lê Văn Tám",
     "Thành phố Hồ Chí Minh",
     "Quận Bình Thạnh",
     "Phường 24",
     "79765",
     "079",
     "hẻm",
     {"đường Đinh Bộ Lĩnh", "đường Bạch Đằng", "đường Nơ Trang Long"},
     {{"Hoa", 20}, {"Khmer", 8}, {"Mường", 2}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Trần Quốc Toản",
     "Đà Nẵng",
     "Quận Hải Châu",
     "Phường Thạch Thang",
     "48492",
     "048",
     "kiệt",
     {"đường Lê Lợi", "đường Quang Trung", "đường Trần Quốc Toản"},
     {{"Hoa", 5}, {"Tày", 2}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Lê Quý Đôn",
     "Hải Phòng",
     "Quận Lê Chân",
     "Phường An Biên",
     "31305",
     "031",
     "ngõ",
     {"đường Tô Hiệu", "phố Mê Linh", "đường Hai Bà Trưng"},
     {{"Hoa", 4}, {"Tày", 3}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Lý Tự Trọng",
     "Cần Thơ",
     "Quận Ninh Kiều",
     "Phường Tân An",
     "92916",
     "092",
     "hẻm",
     {"đường Hai Bà Trưng", "đường Ngô Quyền", "đường Phan Đình Phùng"},
     {{"Khmer", 40}, {"Hoa", 15}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Vĩnh Ninh",
     "Thành phố Huế",
     "Quận Thuận Hóa",
     "Phường Vĩnh Ninh",
     "46474",
     "046",
     "kiệt",
     {"đường Lê Lợi", "đường Hùng Vương", "đường Nguyễn Huệ"},
     {{"Hoa", 3}, {"Tày", 2}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Hưng Bình",
     "Nghệ An",
     "Thành phố Vinh",
     "Phường Hưng Bình",
     "40412",
     "040",
     "ngõ",
     {"đường Lê Hồng Phong", "đường Nguyễn Văn Cừ", "đường Hồ Tùng Mậu"},
     {{"Thái", 40}, {"Mường", 5}, {"Tày", 3}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Điện Biên",
     "Thanh Hóa",
     "Thành phố Thanh Hóa",
     "Phường Điện Biên",
     "38380",
     "038",
     "ngõ",
     {"đường Lê Hoàn", "đường Trần Phú", "đường Phan Chu Trinh"},
     {{"Mường", 60}, {"Thái", 30}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Bạch Đằng",
     "Quảng Ninh",
     "Thành phố Hạ Long",
     "Phường Bạch Đằng",
     "22193",
     "022",
     "ngõ",
     {"đường Lê Thánh Tông", "đường Bến Đoan", "đường Hạ Long"},
     {{"Tày", 30}, {"Hoa", 10}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Nguyễn Trãi",
     "Đắk Lắk",
     "Thành phố Buôn Ma Thuột",
     "Phường Tân Lợi",
     "66643",
     "066",
     "hẻm",
     {"đường Phan Bội Châu", "đường Y Jút", "đường Nguyễn Tất Thành"},
     {{"Ê Đê", 90}, {"Tày", 40}, {"Thái", 10}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Lộc Thọ",
     "Khánh Hòa",
     "Thành phố Nha Trang",
     "Phường Lộc Thọ",
     "56568",
     "056",
     "hẻm",
     {"đường Trần Phú", "đường Lê Thánh Tôn", "đường Pasteur"},
     {{"Hoa", 10}, {"Khmer", 2}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Lê Lợi",
     "Lâm Đồng",
     "Thành phố Đà Lạt",
     "Phường 1",
     "68672",
     "068",
     "hẻm",
     {"đường Nguyễn Thị Minh Khai", "đường Phan Đình Phùng", "đường Trương Công Định"},
     {{"Tày", 30}, {"Hoa", 10}, {"Mường", 5}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Chu Văn An",
     "Hà Nội",
     "Quận Tây Hồ",
     "Phường Thụy Khuê",
     "01003",
     "001",
     "ngõ",
     {"đường Thụy Khuê", "phố Yên Phụ", "đường Lạc Long Quân"},
     {{"Mường", 6}, {"Tày", 4}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Hùng Vương",
     "Thành phố Hồ Chí Minh",
     "Quận 5",
     "Phường 11",
     "79774",
     "079",
     "hẻm",
     {"đường Trần Hưng Đạo", "đường Nguyễn Trãi", "đường Châu Văn Liêm"},
     {{"Hoa", 250}, {"Khmer", 5}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Võ Thị Sáu",
     "Thành phố Hồ Chí Minh",
     "Quận 3",
     "Phường Võ Thị Sáu",
     "79770",
     "079",
     "hẻm",
     {"đường Nam Kỳ Khởi Nghĩa", "đường Võ Văn Tần", "đường Trần Quốc Thảo"},
     {{"Hoa", 20}, {"Khmer", 5}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Trưng Vương",
     "Hà Nội",
     "Quận Hoàn Kiếm",
     "Phường Hàng Bài",
     "01002",
     "001",
     "ngõ",
     {"phố Hàng Bài", "phố Trần Hưng Đạo", "phố Ngô Quyền"},
     {{"Hoa", 5}, {"Tày", 3}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Phan Chu Trinh",
     "Đà Nẵng",
     "Quận Thanh Khê",
     "Phường Chính Gián",
     "48491",
     "048",
     "kiệt",
     {"đường Lê Duẩn", "đường Điện Biên Phủ", "đường Hà Huy Tập"},
     {{"Hoa", 4}, {"Tày", 2}, {NULL, 0}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Nghĩa Đô",
     "Hà Nội",
     "Quận Cầu Giấy",
     "Phường Nghĩa Đô",
     "01005",
     "001",
     "ngõ",
     {"đường Hoàng Quốc Việt", "phố Nguyễn Văn Huyên", "phố Tô Hiệu"},
     {{"Tày", 8}, {"Mường", 6}, {"Thái", 3}},
     DEMO_TIEUHOC,
     0},
    {"Trường Tiểu học Nguyễn Văn Trỗi",
     "Thành phố Hồ Chí Minh",
     "Quận Gò Vấp",
     "Phường 10",
     "79764",
     "079",
     "hẻm",
     {"đường Quang Trung", "đường Nguyễn Văn Lượng", "đường Phan Văn Trị"},
     {{"Hoa", 10}, {"Khmer", 10}, {"Tày", 3}},
     DEMO_TIEUHOC,
     0},
};

/* Lower and upper secondary schools and a continuing-education centre; each
 * takes part in a run of 10 pupils or more (demo.c: the mix of levels). */
static const demo_school_t DEMO_SECONDARY_SCHOOLS[] = {
    {"Trường THCS Trưng Vương",
     "Hà Nội",
     "Quận Hoàn Kiếm",
     "Phường Hàng Bài",
     "01002",
     "001",
     "ngõ",
     {"phố Hàng Bài", "phố Trần Hưng Đạo", "phố Ngô Quyền"},
     {{"Mường", 6}, {"Tày", 4}, {"Hoa", 2}},
     DEMO_THCS,
     0},
    {"Trường THPT Phan Châu Trinh",
     "Đà Nẵng",
     "Quận Hải Châu",
     "Phường Thạch Thang",
     "48492",
     "048",
     "kiệt",
     {"đường Lê Lợi", "đường Quang Trung", "đường Phan Châu Trinh"},
     {{"Hoa", 5}, {"Cơ Tu", 4}, {NULL, 0}},
     DEMO_THPT,
     0},
    {"Trung tâm GDNN-GDTX quận Ba Đình",
     "Hà Nội",
     "Quận Ba Đình",
     "Phường Kim Mã",
     "01001",
     "001",
     "ngõ",
     {"phố Kim Mã", "phố Đội Cấn", "phố Liễu Giai"},
     {{"Mường", 8}, {"Tày", 6}, {NULL, 0}},
     DEMO_THPT,
     1},
    {"Trường THCS Lê Quý Đôn",
     "Thành phố Hồ Chí Minh",
     "Quận 3",
     "Phường Võ Thị Sáu",
     "79770",
     "079",
     "hẻm",
     {"đường Nam Kỳ Khởi Nghĩa", "đường Võ Văn Tần", "đường Trần Quốc Thảo"},
     {{"Hoa", 25}, {"Khmer", 5}, {NULL, 0}},
     DEMO_THCS,
     0},
    {"Trường THPT Lê Hồng Phong",
     "Thành phố Hồ Chí Minh",
     "Quận 5",
     "Phường 4",
     "79774",
     "079",
     "hẻm",
     {"đường Trần Hưng Đạo", "đường Nguyễn Văn Cừ", "đường An Dương Vương"},
     {{"Hoa", 60}, {"Khmer", 5}, {NULL, 0}},
     DEMO_THPT,
     0},
};

/* ---- places of birth (provinces before the 2025 mergers) ------------------ */

typedef struct {
    const char *name;
    const char *cccd3;
} demo_province_t;

static const demo_province_t DEMO_PROVINCES[] = {
    {"Hà Nội", "001"},
    {"Cao Bằng", "004"},
    {"Lào Cai", "010"},
    {"Sơn La", "014"},
    {"Hòa Bình", "017"},
    {"Thái Nguyên", "019"},
    {"Lạng Sơn", "020"},
    {"Quảng Ninh", "022"},
    {"Bắc Giang", "024"},
    {"Phú Thọ", "025"},
    {"Bắc Ninh", "027"},
    {"Hải Dương", "030"},
    {"Hải Phòng", "031"},
    {"Hưng Yên", "033"},
    {"Thái Bình", "034"},
    {"Nam Định", "036"},
    {"Ninh Bình", "037"},
    {"Thanh Hóa", "038"},
    {"Nghệ An", "040"},
    {"Hà Tĩnh", "042"},
    {"Quảng Bình", "044"},
    {"Quảng Trị", "045"},
    {"Thừa Thiên Huế", "046"},
    {"Đà Nẵng", "048"},
    {"Quảng Nam", "049"},
    {"Quảng Ngãi", "051"},
    {"Bình Định", "052"},
    {"Phú Yên", "054"},
    {"Khánh Hòa", "056"},
    {"Gia Lai", "064"},
    {"Đắk Lắk", "066"},
    {"Lâm Đồng", "068"},
    {"Bình Dương", "074"},
    {"Đồng Nai", "075"},
    {"Thành phố Hồ Chí Minh", "079"},
    {"Long An", "080"},
    {"Tiền Giang", "082"},
    {"Bến Tre", "083"},
    {"Trà Vinh", "084"},
    {"Đồng Tháp", "087"},
    {"An Giang", "089"},
    {"Kiên Giang", "091"},
    {"Cần Thơ", "092"},
    {"Sóc Trăng", "094"},
    {"Cà Mau", "096"},
};

/* ---- names ---------------------------------------------------------------- */

typedef struct {
    const char *name;
    int weight;
} demo_weighted_t;

/* Kinh family names, weighted roughly as they occur. */
static const demo_weighted_t DEMO_FAMILY[] = {
    {"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95},    {"Phạm", 70}, {"Hoàng", 30}, {"Huỳnh", 25}, {"Phan", 45},
    {"Vũ", 25},      {"Võ", 20},    {"Đặng", 20},  {"Bùi", 20},  {"Đỗ", 14},    {"Hồ", 13},    {"Ngô", 13},
    {"Dương", 10},   {"Lý", 5},     {"Trương", 6}, {"Đinh", 6},  {"Mai", 4},    {"Đào", 5},
};

/* Family names common in each group; a Kinh name is used when a group has none listed. */
typedef struct {
    const char *ethnicity;
    const char *family[6];
} demo_ethnic_family_t;

static const demo_ethnic_family_t DEMO_ETHNIC_FAMILY[] = {
    {"Tày", {"Hoàng", "Nông", "Lục", "Ma", "Hà", "Lương"}},
    {"Thái", {"Lò", "Lường", "Cầm", "Vi", "Quàng", "Hà"}},
    {"Mường", {"Bùi", "Đinh", "Quách", "Hà", "Bạch", "Cao"}},
    {"Khmer", {"Thạch", "Sơn", "Danh", "Kim", "Lâm", "Chau"}},
    {"Hoa", {"Lâm", "Quách", "Trương", "Lưu", "Mạc", "Tăng"}},
};

/* Children born 2014–2018 */
static const char *const DEMO_CHILD_MIDDLE_M[] = {"Minh",  "Gia", "Bảo",   "Đức",  "Quốc", "Hoàng", "Anh",
                                                  "Thành", "Hữu", "Khánh", "Đăng", "Nhật", "Văn",   "Trọng"};
static const char *const DEMO_CHILD_MIDDLE_F[] = {"Ngọc", "Thanh", "Khánh", "Bảo", "Minh", "Gia",   "Phương",
                                                  "Thu",  "Hoài",  "Mai",   "Kim", "Thị",  "Tường", "Diệu"};
static const char *const DEMO_CHILD_GIVEN_M[] = {
    "An",   "Bình", "Dũng", "Huy",  "Khoa", "Nam",  "Phúc",  "Quân", "Tuấn",  "Khang",
    "Minh", "Long", "Đạt",  "Hiếu", "Hùng", "Kiên", "Phong", "Sơn",  "Thắng", "Trung",
    "Vinh", "Duy",  "Khôi", "Lâm",  "Nhân", "Tài",  "Hưng",  "Lộc",  "Toàn",  "Quang"};
static const char *const DEMO_CHILD_GIVEN_F[] = {
    "Chi", "Hà",  "Hạnh",  "Lan",   "Linh", "My",     "Ngân",  "Tâm",  "Thảo", "Trang",
    "Vy",  "Anh", "Hương", "Mai",   "Nhi",  "Như",    "Quỳnh", "Thư",  "Trâm", "Uyên",
    "Yến", "Hân", "Diệp",  "Giang", "Ngọc", "Phương", "Thùy",  "Hằng", "Châu", "Khuê"};

/* Adults: teachers, principals, parents */
static const char *const DEMO_ADULT_MIDDLE_M[] = {"Văn",  "Đức",  "Minh", "Quang", "Hữu",  "Thanh",
                                                  "Xuân", "Công", "Ngọc", "Mạnh",  "Tiến", "Hồng"};
static const char *const DEMO_ADULT_MIDDLE_F[] = {"Thị",     "Thu",       "Thanh",    "Ngọc",    "Minh",
                                                  "Hồng",    "Phương",    "Thùy",     "Kim",     "Mai",
                                                  "Thị Thu", "Thị Thanh", "Thị Minh", "Thị Hồng"};
static const char *const DEMO_ADULT_GIVEN_M[] = {"Hùng",  "Dũng",  "Tuấn",  "Minh",  "Sơn",  "Hải",
                                                 "Thắng", "Long",  "Cường", "Quang", "Bình", "Hòa",
                                                 "Trung", "Thành", "Phong", "Tùng",  "Nam",  "Hiếu"};
static const char *const DEMO_ADULT_GIVEN_F[] = {"Hà",   "Hạnh", "Lan",   "Hương", "Hoa",   "Mai",  "Nga",
                                                 "Hằng", "Thủy", "Huyền", "Thảo",  "Trang", "Dung", "Phương",
                                                 "Yến",  "Loan", "Oanh",  "Nhung", "Hiền",  "Tuyết"};

/* Ê Đê names: "Y" (boys) or "H'" (girls), a given name, then the clan. */
static const char *const DEMO_EDE_GIVEN_M[] = {"Bhin",   "Jút",   "Khuê", "Thuôn",
                                               "Kriêng", "Dhông", "Sinh", "Kông"};
static const char *const DEMO_EDE_GIVEN_F[] = {"Hen", "Linh", "Nhi", "Yam", "Bla", "Nguê", "Xuân", "Ni"};
static const char *const DEMO_EDE_CLAN[] = {"Niê", "Êban", "Mlô", "Ayun", "Ksơr", "Byă", "Adrơng"};

/* ---- Circular 27/2020 ------------------------------------------------------ */

typedef struct {
    const char *name;
    int first_grade, last_grade;
    int tested;          /* has an end-of-year periodic test, marked 0–10 */
    const char *note[3]; /* the teacher's comment at level T, H, C */
} demo_subject_t;

/* In the order of the transcript form (2018 programme). */
static const demo_subject_t DEMO_SUBJECTS[] = {
    {"Tiếng Việt",
     1,
     5,
     1,
     {"Đọc trôi chảy, diễn cảm; viết đúng chính tả, chữ viết đẹp.",
      "Đọc khá trôi chảy; cần rèn thêm chữ viết và chính tả.",
      "Đọc còn chậm, viết sai nhiều lỗi chính tả; cần luyện thêm."}},
    {"Toán",
     1,
     5,
     1,
     {"Nắm vững kiến thức, tính toán nhanh và chính xác.",
      "Biết vận dụng kiến thức đã học; cần cẩn thận hơn khi tính toán.",
      "Còn nhầm lẫn khi thực hiện phép tính; cần ôn luyện thêm."}},
    {"Ngoại ngữ 1",
     3,
     5,
     1,
     {"Nghe, nói tốt; phát âm chuẩn, mạnh dạn giao tiếp.", "Hiểu và trả lời được các câu hỏi đơn giản.",
      "Vốn từ còn ít; cần luyện nghe, nói thêm."}},
    {"Đạo đức",
     1,
     5,
     0,
     {"Thực hiện tốt các chuẩn mực hành vi đã học.", "Biết thực hiện các hành vi đạo đức đã học.",
      "Chưa thực hiện được một số hành vi đã học; cần cố gắng."}},
    {"Tự nhiên và Xã hội",
     1,
     3,
     0,
     {"Hiểu biết tốt về tự nhiên và xã hội xung quanh.", "Nắm được kiến thức cơ bản về tự nhiên và xã hội.",
      "Chưa nắm được kiến thức cơ bản; cần cố gắng."}},
    {"Lịch sử và Địa lí",
     4,
     5,
     1,
     {"Nắm vững các sự kiện lịch sử, đọc tốt lược đồ, bản đồ.",
      "Nắm được các sự kiện lịch sử, địa lí cơ bản.", "Chưa nhớ được các sự kiện chính; cần ôn tập thêm."}},
    {"Khoa học",
     4,
     5,
     1,
     {"Hiểu bài, vận dụng tốt kiến thức vào thực tế.", "Nắm được kiến thức cơ bản của bài học.",
      "Chưa nắm được kiến thức cơ bản; cần ôn tập thêm."}},
    {"Tin học và Công nghệ",
     3,
     5,
     1,
     {"Sử dụng máy tính thành thạo, làm sản phẩm sáng tạo.",
      "Biết sử dụng máy tính và thực hành theo hướng dẫn.", "Thao tác còn chậm; cần luyện tập thêm."}},
    {"Giáo dục thể chất",
     1,
     5,
     0,
     {"Tích cực tập luyện, thực hiện đúng và đẹp các động tác.", "Thực hiện được các động tác cơ bản.",
      "Chưa thực hiện được một số động tác; cần tập luyện thêm."}},
    {"Âm nhạc",
     1,
     5,
     0,
     {"Hát đúng giai điệu, biểu diễn tự tin.", "Hát thuộc lời các bài hát đã học.",
      "Chưa thuộc lời các bài hát; cần cố gắng."}},
    {"Mĩ thuật",
     1,
     5,
     0,
     {"Vẽ đẹp, phối màu hài hòa, có sáng tạo.", "Hoàn thành sản phẩm theo yêu cầu.",
      "Sản phẩm chưa hoàn thành; cần cố gắng."}},
    {"Hoạt động trải nghiệm",
     1,
     5,
     0,
     {"Tích cực, chủ động tham gia các hoạt động tập thể.", "Có tham gia các hoạt động trải nghiệm.",
      "Còn ngại tham gia hoạt động; cần mạnh dạn hơn."}},
};

static const char *const DEMO_QUALITIES[] = {"Yêu nước", "Nhân ái", "Chăm chỉ", "Trung thực", "Trách nhiệm"};

static const char *const DEMO_COMPETENCIES[] = {"Tự chủ và tự học",
                                                "Giao tiếp và hợp tác",
                                                "Giải quyết vấn đề và sáng tạo",
                                                "Ngôn ngữ",
                                                "Tính toán",
                                                "Khoa học",
                                                "Công nghệ",
                                                "Tin học",
                                                "Thẩm mĩ",
                                                "Thể chất"};

static const char DEMO_AWARD_EXCELLENT[] = "Học sinh Xuất sắc";
static const char DEMO_AWARD_EXEMPLARY[] = "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện";

/* The homeroom teacher's remarks, by overall result (HTXS, HTT, HT, CHT). */
static const char *const DEMO_REMARKS[4][3] = {
    {"Em ngoan, lễ phép, chăm chỉ; tiếp thu bài nhanh và vận dụng tốt.",
     "Em tự giác, tích cực trong học tập, hăng hái phát biểu xây dựng bài, giúp đỡ bạn bè.",
     "Em học tập chăm chỉ, trình bày bài sạch đẹp, có ý thức tự học tốt."},
    {"Em chăm ngoan, tích cực tham gia các hoạt động của lớp; học tập tiến bộ.",
     "Em ngoan, hòa đồng với bạn bè, có ý thức tự giác trong học tập.",
     "Em tiếp thu bài tốt, biết hợp tác khi làm việc nhóm."},
    {"Em ngoan, có cố gắng trong học tập; cần rèn thêm tính cẩn thận khi làm bài.",
     "Em hiền, biết vâng lời thầy cô; cần mạnh dạn phát biểu hơn.",
     "Em có tiến bộ; cần rèn thêm chữ viết và kĩ năng trình bày."},
    {"Em còn chậm trong tiếp thu bài, cần được gia đình và nhà trường kèm cặp thêm.",
     "Em còn hay quên bài, chưa tập trung trong giờ học; cần ôn luyện thêm.",
     "Em tiếp thu bài còn chậm; cần được quan tâm, giúp đỡ nhiều hơn."},
};

/* ---- Circular 22/2021 (lower and upper secondary) and 43/2021 (GDTX) ------------ */

/* Which transcripts list a subject. */
enum { DEMO_IN_THCS = 1, DEMO_IN_THPT = 2, DEMO_IN_GDTX = 4, DEMO_ELECTIVE = 8 };

typedef struct {
    const char *name;
    int by_comment; /* assessed by comment (Đạt / Chưa đạt), not by score */
    int in;         /* DEMO_IN_* | DEMO_ELECTIVE: where it is taught, and whether chosen */
} demo_sec_subject_t;

/* In the order of the transcript form (2018 programme); Ngữ văn and Toán
 * first, as on every form (a recall's fix names them by position). */
static const demo_sec_subject_t DEMO_SEC_SUBJECTS[] = {
    {"Ngữ văn", 0, DEMO_IN_THCS | DEMO_IN_THPT | DEMO_IN_GDTX},
    {"Toán", 0, DEMO_IN_THCS | DEMO_IN_THPT | DEMO_IN_GDTX},
    {"Ngoại ngữ 1", 0, DEMO_IN_THCS | DEMO_IN_THPT},
    {"Giáo dục công dân", 0, DEMO_IN_THCS},
    {"Lịch sử và Địa lí", 0, DEMO_IN_THCS},
    {"Khoa học tự nhiên", 0, DEMO_IN_THCS},
    {"Lịch sử", 0, DEMO_IN_THPT | DEMO_IN_GDTX},
    {"Giáo dục quốc phòng và an ninh", 0, DEMO_IN_THPT | DEMO_IN_GDTX},
    {"Công nghệ", 0, DEMO_IN_THCS},
    {"Tin học", 0, DEMO_IN_THCS},
    {"Địa lí", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Giáo dục kinh tế và pháp luật", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Vật lí", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Hoá học", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Sinh học", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Công nghệ", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Tin học", 0, DEMO_IN_THPT | DEMO_IN_GDTX | DEMO_ELECTIVE},
    {"Âm nhạc", 1, DEMO_IN_THPT | DEMO_ELECTIVE},
    {"Mĩ thuật", 1, DEMO_IN_THPT | DEMO_ELECTIVE},
    {"Giáo dục thể chất", 1, DEMO_IN_THCS | DEMO_IN_THPT},
    {"Nghệ thuật (Âm nhạc)", 1, DEMO_IN_THCS},
    {"Nghệ thuật (Mĩ thuật)", 1, DEMO_IN_THCS},
    {"Hoạt động trải nghiệm, hướng nghiệp", 1, DEMO_IN_THCS | DEMO_IN_THPT | DEMO_IN_GDTX},
    {"Nội dung giáo dục của địa phương", 1, DEMO_IN_THCS | DEMO_IN_THPT | DEMO_IN_GDTX},
};

/* The four electives a THPT pupil chooses (a school's combinations, tổ hợp
 * môn), by name; GDTX centres offer the first three only. */
static const char *const DEMO_ELECTIVE_SETS[][4] = {
    {"Vật lí", "Hoá học", "Sinh học", "Tin học"},
    {"Địa lí", "Giáo dục kinh tế và pháp luật", "Vật lí", "Tin học"},
    {"Vật lí", "Hoá học", "Tin học", "Công nghệ"},
    {"Địa lí", "Giáo dục kinh tế và pháp luật", "Công nghệ", "Âm nhạc"},
    {"Địa lí", "Sinh học", "Giáo dục kinh tế và pháp luật", "Mĩ thuật"},
};

static const char DEMO_AWARD_SEC_EXCELLENT[] = "Học sinh Xuất sắc";
static const char DEMO_AWARD_SEC_GOOD[] = "Học sinh Giỏi";

/* The homeroom teacher's remarks on a secondary pupil, by the year's learning
 * result (Tốt, Khá, Đạt, Chưa đạt). */
static const char *const DEMO_SEC_REMARKS[4][3] = {
    {"Em chăm chỉ, có ý thức tự học cao; kết quả học tập tốt ở tất cả các môn.",
     "Em tích cực, tự giác, tham gia nhiệt tình các hoạt động của lớp và của trường.",
     "Em học đều các môn, có năng khiếu ở các môn khoa học tự nhiên."},
    {"Em ngoan, có ý thức học tập; cần phát huy hơn nữa ở các môn còn hạn chế.",
     "Em hòa đồng, biết giúp đỡ bạn bè; kết quả học tập tiến bộ so với học kì I.",
     "Em có cố gắng trong học tập, cần chủ động hơn khi phát biểu xây dựng bài."},
    {"Em cần cố gắng hơn trong học tập, đặc biệt ở các môn còn yếu.",
     "Em chấp hành tốt nội quy; cần dành nhiều thời gian tự học hơn.",
     "Em có tiến bộ ở học kì II; cần duy trì nề nếp học tập ở nhà."},
    {"Em còn nhiều hạn chế trong học tập; gia đình và nhà trường cần phối hợp kèm cặp thêm.",
     "Em chưa tập trung trong giờ học; cần ôn tập kĩ các môn phải kiểm tra lại.",
     "Em tiếp thu còn chậm; cần được giúp đỡ thêm trong hè."},
};

static const char DEMO_SEC_EXEMPT_REASON[] = "Miễn học môn Giáo dục thể chất theo chỉ định của bác sĩ.";

/* ---- recalls ---------------------------------------------------------------- */

enum { DEMO_FIX_MATH = 0, DEMO_FIX_VIET = 1, DEMO_FIX_DOB = 2, DEMO_FIX_NONE = 3 };

static const char *const DEMO_RECALL_REASONS[] = {
    "Sai sót điểm kiểm tra định kì môn Toán, đã cấp học bạ thay thế",
    "Sai sót điểm kiểm tra định kì môn Tiếng Việt, đã cấp học bạ thay thế",
    "Sai sót ngày sinh của học sinh, đã cấp học bạ thay thế",
    "Phát hành nhầm: học sinh đã chuyển trường trong năm học, học bạ do trường mới cấp",
};

/* A secondary transcript's: its scores are semester averages (DEMO_FIX_* order). */
static const char *const DEMO_SEC_RECALL_REASONS[] = {
    "Sai sót điểm trung bình học kì II môn Toán, đã cấp học bạ thay thế",
    "Sai sót điểm trung bình học kì II môn Ngữ văn, đã cấp học bạ thay thế",
    "Sai sót ngày sinh của học sinh, đã cấp học bạ thay thế",
    "Phát hành nhầm: học sinh đã chuyển trường trong năm học, học bạ do trường mới cấp",
};

#endif
