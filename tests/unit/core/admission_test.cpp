// SPDX-License-Identifier: MIT
// ConnectionAdmission: the total and per-address connection caps at their boundaries, and the
// cap derived from a descriptor limit.
#include "core/net/admission.h"

#include <gtest/gtest.h>

namespace tern::core::net {
namespace {

using Verdict = ConnectionAdmission::Verdict;

TEST(ConnectionAdmission, PerAddressCapHoldsAndFreesUp) {
  ConnectionAdmission admission(100, 2);
  EXPECT_EQ(admission.admit("192.0.2.1"), Verdict::Admitted);
  EXPECT_EQ(admission.admit("192.0.2.1"), Verdict::Admitted);
  EXPECT_EQ(admission.admit("192.0.2.1"), Verdict::AddressFull);
  EXPECT_EQ(admission.admit("192.0.2.2"), Verdict::Admitted);  // another address is not affected
  EXPECT_EQ(admission.open(), 3U);
  admission.release("192.0.2.1");
  EXPECT_EQ(admission.admit("192.0.2.1"), Verdict::Admitted);
}

TEST(ConnectionAdmission, TotalCapHoldsAndFreesUp) {
  ConnectionAdmission admission(3, 0);  // no per-address limit
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(admission.admit("2001:db8::1"), Verdict::Admitted);
  }
  EXPECT_TRUE(admission.full());
  EXPECT_EQ(admission.admit("2001:db8::2"), Verdict::ServerFull);
  admission.release("2001:db8::1");
  EXPECT_FALSE(admission.full());
  EXPECT_EQ(admission.admit("2001:db8::2"), Verdict::Admitted);
}

TEST(ConnectionAdmission, ReleasingAnUnknownAddressChangesNothing) {
  ConnectionAdmission admission(1, 1);
  admission.release("198.51.100.1");
  EXPECT_EQ(admission.open(), 0U);
  EXPECT_EQ(admission.admit("198.51.100.1"), Verdict::Admitted);
  EXPECT_EQ(admission.admit("198.51.100.1"), Verdict::ServerFull);
}

TEST(ConnectionAdmission, CapLeavesAReserveBelowTheDescriptorLimit) {
  EXPECT_EQ(connection_cap_for(512), 448U);   // 64 kept
  EXPECT_EQ(connection_cap_for(1024), 922U);  // a tenth kept
  EXPECT_EQ(connection_cap_for(65536), 58983U);
  EXPECT_EQ(connection_cap_for(50), 16U);  // never zero
}

}  // namespace
}  // namespace tern::core::net
