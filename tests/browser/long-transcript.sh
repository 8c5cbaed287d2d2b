#!/usr/bin/env bash
# long-transcript.sh DEMO OUTDIR — a LONG grade 5 transcript (long comments on
# every subject, quality and competency, many awards, several paragraphs of
# remarks) so that its printed copy runs over two A4 pages or more. It is
# signed with nothing but the stock openssl commands of package-format.md §7,
# by the demo's published keys of school 79765103 (keys/index.txt): its 5A
# homeroom teacher, its principal and its seal. Writes OUTDIR/long-5a.{json,p7s}.
set -euo pipefail
DEMO=$1 OUT=$2
SCHOOL=79765103
mkdir -p "$OUT"
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT
ossl() { openssl "$@" 2>"$ERR" || { cat "$ERR" >&2; echo "long-transcript.sh: openssl $1 failed" >&2; exit 1; }; }
line() { awk -F'\t' -v f="$1" '!/^#/ && $1 == f { print; exit }' "$DEMO/keys/index.txt"; }
signer() { # ROLE FILE
    local l; l=$(line "$2")
    [ -n "$l" ] || { echo "long-transcript.sh: $2 is not in $DEMO/keys/index.txt" >&2; exit 1; }
    printf '    {"role": "%s", "name": "%s", "certificate_sha256": "%s"}' "$1" "$(cut -f4 <<<"$l")" "$(cut -f5 <<<"$l")"
}
T=$SCHOOL-teacher-5A P=$SCHOOL-principal S=$SCHOOL-seal
school_name=$(line "$S.pem" | cut -f4)
c='Em nắm vững kiến thức và kĩ năng của môn học theo yêu cầu cần đạt của chương trình lớp 5; tích cực phát biểu xây dựng bài, biết vận dụng điều đã học vào các tình huống trong cuộc sống hằng ngày; trình bày bài sạch sẽ, cẩn thận. Cần tiếp tục rèn luyện thêm sự kiên trì khi gặp bài khó và mạnh dạn chia sẻ ý kiến trước lớp.'
q='Em thực hiện tốt nội quy trường lớp, biết quan tâm, giúp đỡ bạn bè và kính trọng thầy cô; tham gia đầy đủ, tích cực các hoạt động tập thể, hoạt động thiện nguyện và phong trào thi đua của nhà trường.'
p=$OUT/long-5a
cat >"$p.json" <<JSON
{
  "schema": "hocba.tieuhoc.v1",
  "document_id": "HB-$SCHOOL-2025-LONG-5A",
  "issued_on": "2025-05-28",
  "school_year": "2024-2025",
  "school": {"code": "$SCHOOL", "name": "$school_name", "province": "Thành phố Hồ Chí Minh", "district": "Quận Bình Thạnh", "ward": "Phường 25"},
  "student": {
    "id": "0279000555",
    "full_name": "Tôn Nữ Hoàng Thị Bảo Ngọc Khánh Quyên",
    "date_of_birth": "2014-09-02",
    "gender": "Nữ",
    "ethnicity": "Kinh",
    "place_of_birth": "Thành phố Hồ Chí Minh",
    "citizen_id": "079314012345",
    "address": "Số 1 đường Bí Mật, Phường 25, Quận Bình Thạnh",
    "guardian_name": "Tôn Thất Giám Hộ"
  },
  "grade": 5,
  "class": "5A",
  "subjects": [
    {"name": "Tiếng Việt", "level": "T", "score": 10, "comment": "$c"},
    {"name": "Toán", "level": "T", "score": 9, "comment": "$c"},
    {"name": "Ngoại ngữ 1 (Tiếng Anh)", "level": "T", "score": 9, "comment": "$c"},
    {"name": "Đạo đức", "level": "T", "comment": "$c"},
    {"name": "Lịch sử và Địa lí", "level": "T", "score": 8, "comment": "$c"},
    {"name": "Khoa học", "level": "T", "score": 9, "comment": "$c"},
    {"name": "Tin học và Công nghệ", "level": "H", "score": 7, "comment": "$c"},
    {"name": "Giáo dục thể chất", "level": "T", "comment": "$c"},
    {"name": "Âm nhạc", "level": "T", "comment": "$c"},
    {"name": "Mĩ thuật", "level": "H", "comment": "$c"},
    {"name": "Hoạt động trải nghiệm", "level": "T", "comment": "$c"}
  ],
  "qualities": [
    {"name": "Yêu nước", "level": "T", "comment": "$q"},
    {"name": "Nhân ái", "level": "T", "comment": "$q"},
    {"name": "Chăm chỉ", "level": "T", "comment": "$q"},
    {"name": "Trung thực", "level": "T", "comment": "$q"},
    {"name": "Trách nhiệm", "level": "Đ", "comment": "$q"}
  ],
  "competencies": [
    {"name": "Tự chủ và tự học", "level": "T", "comment": "$q"},
    {"name": "Giao tiếp và hợp tác", "level": "T", "comment": "$q"},
    {"name": "Giải quyết vấn đề và sáng tạo", "level": "Đ", "comment": "$q"},
    {"name": "Ngôn ngữ", "level": "T", "comment": "$q"},
    {"name": "Tính toán", "level": "T", "comment": "$q"},
    {"name": "Khoa học", "level": "T", "comment": "$q"},
    {"name": "Công nghệ", "level": "Đ", "comment": "$q"},
    {"name": "Tin học", "level": "T", "comment": "$q"},
    {"name": "Thẩm mĩ", "level": "T", "comment": "$q"},
    {"name": "Thể chất", "level": "T", "comment": "$q"}
  ],
  "result": "HTXS",
  "program_completed": true,
  "awards": [
    "Học sinh Xuất sắc",
    "Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện",
    "Giải Nhất Hội thi Viết chữ đẹp cấp trường năm học 2024-2025",
    "Giải Nhì Hội thi Olympic Tiếng Anh cấp quận năm học 2024-2025",
    "Giải Ba Hội thi Vẽ tranh “Em yêu biển đảo quê hương” cấp thành phố",
    "Giấy khen “Cháu ngoan Bác Hồ” của Liên đội nhà trường",
    "Giấy khen tham gia tích cực phong trào “Kế hoạch nhỏ” và hoạt động thiện nguyện"
  ],
  "remarks": "Em chăm ngoan, lễ phép, đoàn kết với bạn bè và luôn hoàn thành tốt nhiệm vụ được giao. Trong năm học, em tiến bộ rõ rệt ở các môn Toán và Tiếng Việt, đạt kết quả cao trong các bài kiểm tra định kì.\nEm có năng khiếu vẽ và viết chữ đẹp, tích cực tham gia các hội thi của trường, của quận và của thành phố; là lớp trưởng gương mẫu, biết tổ chức và điều hành các hoạt động của lớp.\nGiáo viên chủ nhiệm đề nghị khen thưởng danh hiệu Học sinh Xuất sắc. Hoàn thành chương trình tiểu học. Đề nghị gia đình tiếp tục phối hợp với nhà trường để em phát huy những điểm mạnh khi lên lớp 6.",
  "days_absent": 2,
  "signers": [
$(signer homeroom_teacher "$T.pem"),
$(signer principal "$P.pem"),
$(signer school_seal "$S.pem")
  ]
}
JSON
K=$DEMO/keys
ossl cms -sign -binary -md sha256 -in "$p.json" \
    -signer "$K/$T.pem" -inkey "$K/$T.key" -certfile "$DEMO/trust/intermediates.pem" \
    -outform DER -out "$p.p7s"
for f in "$P" "$S"; do
    ossl cms -resign -binary -inform DER -in "$p.p7s" -content "$p.json" \
        -signer "$K/$f.pem" -inkey "$K/$f.key" -md sha256 \
        -outform DER -out "$p.p7s.new"
    mv "$p.p7s.new" "$p.p7s"
done
