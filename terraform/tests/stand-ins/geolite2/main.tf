################################################################################
# Stand-in for Fleet's geolite2 addon in its dogfood configuration: only something for the
# migrations module to depend on (its `depends_on = [module.geolite2]`). Written for the
# tests.
################################################################################

resource "terraform_data" "image" {
  input = "fleet-geolite2"
}
