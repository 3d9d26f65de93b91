// SPDX-License-Identifier: MIT
#include "modules/muc/room_config.h"

#include <charconv>
#include <functional>
#include <map>

#include "tern/record.h"
#include "xmpp/namespaces.h"

namespace tern::modules::muc {
namespace {

constexpr std::uint8_t kRecordVersion = 1;

std::string_view whois_name(Whois w) {
  return w == Whois::Anyone ? "anyone" : "moderators";
}

std::string_view allow_pm_name(AllowPm p) {
  switch (p) {
    case AllowPm::Anyone:
      return "anyone";
    case AllowPm::Participants:
      return "participants";
    case AllowPm::Moderators:
      return "moderators";
    case AllowPm::None:
      return "none";
  }
  return "anyone";
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::string flag(bool b) {
  return b ? "1" : "0";
}

// One field of the form: how it is read into a configuration (false: bad value).
using FieldReader = std::function<bool(RoomConfig&, std::string_view, const ConfigLimits&)>;

bool read_bool(bool& target, std::string_view value) {
  auto b = xmpp::form_boolean(value);
  if (!b) {
    return false;
  }
  target = *b;
  return true;
}

const std::map<std::string, FieldReader, std::less<>>& field_readers() {
  static const std::map<std::string, FieldReader, std::less<>> readers = {
      {"muc#roomconfig_roomname",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         c.name = v;
         return v.size() <= 256;
       }},
      {"muc#roomconfig_roomdesc",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         c.description = v;
         return v.size() <= 1024;
       }},
      {"muc#roomconfig_lang",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         c.language = v;
         return v.size() <= 35;  // a BCP 47 tag
       }},
      {"muc#roomconfig_persistentroom",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.persistent, v);
       }},
      {"muc#roomconfig_publicroom", [](RoomConfig& c, std::string_view v,
                                       const ConfigLimits&) { return read_bool(c.is_public, v); }},
      {"muc#roomconfig_membersonly",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.members_only, v);
       }},
      {"muc#roomconfig_moderatedroom",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.moderated, v);
       }},
      {"muc#roomconfig_passwordprotectedroom",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.password_protected, v);
       }},
      {"muc#roomconfig_roomsecret",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         c.password = v;
         return v.size() <= 256;
       }},
      {"muc#roomconfig_maxusers",
       [](RoomConfig& c, std::string_view v, const ConfigLimits& limits) {
         if (v == "none" || v.empty()) {
           c.max_occupants = 0;
           return true;
         }
         auto n = parse_count(v);
         if (!n || *n == 0 || *n > limits.max_occupants) {
           return false;
         }
         c.max_occupants = *n == limits.max_occupants ? 0 : *n;  // 0: the service's limit
         return true;
       }},
      {"muc#roomconfig_whois",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         if (v != "anyone" && v != "moderators") {
           return false;
         }
         c.whois = v == "anyone" ? Whois::Anyone : Whois::Moderators;
         return true;
       }},
      {"muc#roomconfig_changesubject",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.participants_change_subject, v);
       }},
      {"muc#roomconfig_allowpm",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         for (AllowPm p :
              {AllowPm::Anyone, AllowPm::Participants, AllowPm::Moderators, AllowPm::None}) {
           if (allow_pm_name(p) == v) {
             c.allow_pm = p;
             return true;
           }
         }
         return false;
       }},
      {"muc#roomconfig_allowinvites",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.members_invite, v);
       }},
      {"muc#roomconfig_historylength",
       [](RoomConfig& c, std::string_view v, const ConfigLimits& limits) {
         auto n = parse_count(v);
         if (!n || *n > limits.max_history) {
           return false;
         }
         c.history_length = *n;
         return true;
       }},
      {"muc#roomconfig_enablearchiving",
       [](RoomConfig& c, std::string_view v, const ConfigLimits&) {
         return read_bool(c.archived, v);
       }},
  };
  return readers;
}

}  // namespace

std::int64_t RoomConfig::occupant_limit(const ConfigLimits& limits) const {
  return max_occupants == 0 ? limits.max_occupants : std::min(max_occupants, limits.max_occupants);
}

void RoomConfig::write_form(xmpp::Element& query, const ConfigLimits& limits) const {
  xmpp::Element& form = xmpp::add_form(query, "form", kRoomConfigForm);
  form.add_child("title", xmpp::ns::kDataForms).set_text("Room configuration");
  auto field = [&form](std::string_view var, std::string_view type, std::string_view label,
                       std::string value) -> xmpp::Element& {
    xmpp::Element& f = xmpp::add_form_field(form, var, type, {std::move(value)});
    f.set_attr("label", label);
    return f;
  };
  auto option = [](xmpp::Element& f, std::string_view value) {
    f.add_child("option", xmpp::ns::kDataForms)
        .add_child("value", xmpp::ns::kDataForms)
        .set_text(value);
  };
  field("muc#roomconfig_roomname", "text-single", "Name", name);
  field("muc#roomconfig_roomdesc", "text-single", "Description", description);
  field("muc#roomconfig_lang", "text-single", "Language", language);
  field("muc#roomconfig_persistentroom", "boolean", "Keep the room when it empties",
        flag(persistent));
  field("muc#roomconfig_publicroom", "boolean", "List the room publicly", flag(is_public));
  field("muc#roomconfig_membersonly", "boolean", "Only members may enter", flag(members_only));
  field("muc#roomconfig_moderatedroom", "boolean", "Only participants with voice may speak",
        flag(moderated));
  field("muc#roomconfig_passwordprotectedroom", "boolean", "A password is needed to enter",
        flag(password_protected));
  field("muc#roomconfig_roomsecret", "text-private", "Password", password);
  xmpp::Element& maxusers = field(
      "muc#roomconfig_maxusers", "list-single", "Maximum occupants",
      max_occupants == 0 ? std::to_string(limits.max_occupants) : std::to_string(max_occupants));
  for (std::int64_t n : {10, 20, 30, 50, 100, 200, 500, 1000, 5000, 10000}) {
    if (n < limits.max_occupants) {
      option(maxusers, std::to_string(n));
    }
  }
  option(maxusers, std::to_string(limits.max_occupants));
  xmpp::Element& who = field("muc#roomconfig_whois", "list-single", "Who may see real addresses",
                             std::string(whois_name(whois)));
  option(who, "moderators");
  option(who, "anyone");
  field("muc#roomconfig_changesubject", "boolean", "Participants may change the subject",
        flag(participants_change_subject));
  xmpp::Element& pm = field("muc#roomconfig_allowpm", "list-single",
                            "Who may send private messages", std::string(allow_pm_name(allow_pm)));
  for (std::string_view v : {"anyone", "participants", "moderators", "none"}) {
    option(pm, v);
  }
  field("muc#roomconfig_allowinvites", "boolean", "Members may invite others",
        flag(members_invite));
  field("muc#roomconfig_historylength", "text-single",
        "Messages sent to newcomers (at most " + std::to_string(limits.max_history) + ")",
        std::to_string(history_length));
  field("muc#roomconfig_enablearchiving", "boolean", "Keep a message archive (XEP-0313)",
        flag(archived));
}

std::optional<std::string> RoomConfig::apply(const xmpp::SubmittedForm& form,
                                             const ConfigLimits& limits) {
  if (!form.fields.empty() && form.form_type != kRoomConfigForm) {
    return "FORM_TYPE is not " + std::string(kRoomConfigForm);
  }
  RoomConfig next = *this;
  const auto& readers = field_readers();
  for (const auto& [var, values] : form.fields) {
    auto reader = readers.find(var);
    if (reader == readers.end()) {
      continue;  // XEP-0004 §3.1: a field the form did not offer is ignored
    }
    if (values.size() > 1) {
      return "field " + var + " takes one value";
    }
    std::string_view value = values.empty() ? std::string_view() : std::string_view(values[0]);
    if (!reader->second(next, value, limits)) {
      return "bad value for " + var;
    }
  }
  // A secret protects the room even when the form left passwordprotectedroom alone (Prosody's
  // reading: an owner who sets a password expects it to be asked for, and one who empties it
  // opens the room); saying the room is not protected drops the secret.
  if (form.fields.count("muc#roomconfig_passwordprotectedroom") == 0) {
    next.password_protected = !next.password.empty();
  } else if (!next.password_protected) {
    next.password.clear();
  }
  if (next.password_protected && next.password.empty()) {
    return "a password-protected room needs muc#roomconfig_roomsecret";
  }
  *this = std::move(next);
  return std::nullopt;
}

std::vector<std::string_view> RoomConfig::features() const {
  return {
      is_public ? "muc_public" : "muc_hidden",
      persistent ? "muc_persistent" : "muc_temporary",
      members_only ? "muc_membersonly" : "muc_open",
      moderated ? "muc_moderated" : "muc_unmoderated",
      non_anonymous() ? "muc_nonanonymous" : "muc_semianonymous",
      password_protected ? "muc_passwordprotected" : "muc_unsecured",
  };
}

void RoomConfig::write_info_form(xmpp::Element& query, std::string_view subject,
                                 std::size_t occupants) const {
  xmpp::Element& form = xmpp::add_form(query, "result", kRoomInfoForm);
  xmpp::add_form_field(form, "muc#roominfo_description", "", {description});
  xmpp::add_form_field(form, "muc#roominfo_subject", "", {std::string(subject)});
  xmpp::add_form_field(form, "muc#roominfo_occupants", "", {std::to_string(occupants)});
  xmpp::add_form_field(form, "muc#roominfo_lang", "", {language});
  xmpp::add_form_field(form, "muc#roomconfig_roomname", "", {name});
  xmpp::add_form_field(form, "muc#roomconfig_changesubject", "",
                       {flag(participants_change_subject)});
  xmpp::add_form_field(form, "muc#roomconfig_allowinvites", "", {flag(members_invite)});
  xmpp::add_form_field(form, "muc#roomconfig_allowpm", "", {std::string(allow_pm_name(allow_pm))});
  xmpp::add_form_field(form, "muc#roomconfig_whois", "", {std::string(whois_name(whois))});
}

std::string RoomConfig::encode() const {
  std::string out;
  record::put_u8(out, kRecordVersion);
  record::put_str16(out, name);
  record::put_str16(out, description);
  record::put_str16(out, language);
  record::put_str16(out, password);
  unsigned bits = (persistent ? 1U : 0U) | (is_public ? 2U : 0U) | (members_only ? 4U : 0U) |
                  (moderated ? 8U : 0U) | (password_protected ? 16U : 0U) |
                  (participants_change_subject ? 32U : 0U) | (members_invite ? 64U : 0U) |
                  (archived ? 128U : 0U);
  record::put_u8(out, bits);
  record::put_u8(out, static_cast<std::uint8_t>(whois));
  record::put_u8(out, static_cast<std::uint8_t>(allow_pm));
  record::put_u32(out, static_cast<std::uint32_t>(max_occupants));
  record::put_u32(out, static_cast<std::uint32_t>(history_length));
  return out;
}

std::optional<RoomConfig> RoomConfig::decode(std::string_view data) {
  record::Reader in(data);
  if (in.u8() != kRecordVersion) {
    return std::nullopt;
  }
  RoomConfig c;
  c.name = in.str16();
  c.description = in.str16();
  c.language = in.str16();
  c.password = in.str16();
  unsigned bits = in.u8();
  c.persistent = (bits & 1U) != 0;
  c.is_public = (bits & 2U) != 0;
  c.members_only = (bits & 4U) != 0;
  c.moderated = (bits & 8U) != 0;
  c.password_protected = (bits & 16U) != 0;
  c.participants_change_subject = (bits & 32U) != 0;
  c.members_invite = (bits & 64U) != 0;
  c.archived = (bits & 128U) != 0;
  std::uint8_t whois = in.u8();
  std::uint8_t pm = in.u8();
  c.max_occupants = in.u32();
  c.history_length = in.u32();
  if (!in.ok() || whois > 1 || pm > 3) {
    return std::nullopt;
  }
  c.whois = static_cast<Whois>(whois);
  c.allow_pm = static_cast<AllowPm>(pm);
  return c;
}

}  // namespace tern::modules::muc
