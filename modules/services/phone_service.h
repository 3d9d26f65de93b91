// SPDX-License-Identifier: MIT
// What the phone module offers the register module: sign-up by phone number inside XEP-0077
// in-band registration, as a XEP-0004 data form (docs/phone-signup.md, "In-band"). The register
// module adds the form to its registration form and hands over a submission that carries it.
#pragma once

#include "tern/module_api.h"

namespace tern::modules::phone {

class PhoneSignupService {
 public:
  virtual ~PhoneSignupService() = default;
  // Adds the sign-up form (<x xmlns='jabber:x:data' type='form'/>) to a registration query;
  // `with_username`: usernames may be registered too, so the form has a username field
  // (XEP-0077 §4: a client that takes forms submits the form instead of the plain fields).
  virtual void add_form(xmpp::Element& query, bool with_username) const = 0;
  // Whether a username is a phone number's (digits only): those accounts come from phone
  // sign-up alone, or anyone could claim a number without its SMS.
  virtual bool reserves_username(std::string_view username) const = 0;
  // Whether a registration request submits that form.
  virtual bool submits_form(const xmpp::Element& query) const = 0;
  // Step one (a number): a PIN is sent by SMS. Step two (the number, the PIN and a password):
  // the account is created, or moved to this device.
  virtual void sign_up(IqRequest& req) = 0;
};

}  // namespace tern::modules::phone
