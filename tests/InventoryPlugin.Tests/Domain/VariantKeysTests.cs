using System.Text.Json;
using InventoryPlugin.Stock;

namespace InventoryPlugin.Tests.Domain;

/// <summary>Contract part 2: the variant key is the same for the same variant, however the platform spells it.</summary>
public sealed class VariantKeysTests
{
    /// <summary>The key of <c>catalogReference.options</c> as the platform sends it (JSON text).</summary>
    private static string KeyOf(string optionsJson)
    {
        using var options = JsonDocument.Parse(optionsJson);
        return VariantKeys.From(options.RootElement);
    }

    [Test]
    public void A_variant_id_wins_over_option_names()
    {
        Assert.Multiple(() =>
        {
            Assert.That(KeyOf("""{"variantId":"v-1","options":{"Size":"M"}}"""), Is.EqualTo(KeyOf("""{"variantId":"v-1"}""")));
            Assert.That(KeyOf("""{"options":{"Size":"M"},"variantId":"v-1"}"""), Is.EqualTo(KeyOf("""{"variantId":"v-1"}""")));
            Assert.That(KeyOf("""{"variantId":"v-1","options":{"Size":"M"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"Size":"M"}}""")));
        });
    }

    [Test]
    public void Different_variant_ids_give_different_keys()
    {
        Assert.That(KeyOf("""{"variantId":"v-1"}"""), Is.Not.EqualTo(KeyOf("""{"variantId":"v-2"}""")));
    }

    [Test]
    public void A_null_variant_id_falls_back_to_the_option_names()
    {
        Assert.That(KeyOf("""{"variantId":null,"options":{"Size":"M"}}"""), Is.EqualTo(KeyOf("""{"options":{"Size":"M"}}""")));
    }

    [Test]
    public void Option_names_in_a_different_order_give_the_same_key()
    {
        Assert.That(
            KeyOf("""{"options":{"Size":"M","Color":"Red","Material":"Wool"}}"""),
            Is.EqualTo(KeyOf("""{"options":{"Material":"Wool","Color":"Red","Size":"M"}}""")));
    }

    [Test]
    public void Different_option_values_give_different_keys()
    {
        Assert.Multiple(() =>
        {
            Assert.That(KeyOf("""{"options":{"Size":"M","Color":"Red"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"Size":"L","Color":"Red"}}""")));
            Assert.That(KeyOf("""{"options":{"Size":"M"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"Fit":"M"}}""")), "same value under another name");
            Assert.That(KeyOf("""{"options":{"Size":"M"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"Size":"M","Color":"Red"}}""")), "one more choice");
            Assert.That(KeyOf("""{"options":{"Size":"M"}}"""), Is.Not.EqualTo(VariantKeys.Product));
        });
    }

    [Test]
    public void Custom_text_fields_and_subscription_option_do_not_change_the_key()
    {
        Assert.Multiple(() =>
        {
            Assert.That(
                KeyOf("""{"options":{"Size":"M"},"customTextFields":{"Engraving":"For Anna"},"subscriptionOptionId":"0b1a8c5e-7a7d-4f8e-9d1c-0b5b2e8a6f11"}"""),
                Is.EqualTo(KeyOf("""{"options":{"Size":"M"}}""")));
            Assert.That(
                KeyOf("""{"variantId":"v-1","customTextFields":{"Engraving":"For Anna"}}"""),
                Is.EqualTo(KeyOf("""{"variantId":"v-1"}""")));
            Assert.That(
                KeyOf("""{"customTextFields":{"Engraving":"For Anna"},"subscriptionOptionId":"0b1a8c5e-7a7d-4f8e-9d1c-0b5b2e8a6f11","somethingNew":1}"""),
                Is.EqualTo(VariantKeys.Product));
        });
    }

    [TestCase("null")]
    [TestCase("{}")]
    [TestCase("""{"options":null}""")]
    [TestCase("""{"options":{}}""")]
    [TestCase("""{"variantId":null}""")]
    [TestCase("""{"options":"Size=M"}""")]
    public void Options_naming_no_variant_give_the_product_key(string optionsJson)
    {
        Assert.That(KeyOf(optionsJson), Is.EqualTo(VariantKeys.Product).And.Empty);
    }

    [Test]
    public void Missing_options_give_the_product_key()
    {
        Assert.That(VariantKeys.From(default), Is.EqualTo(VariantKeys.Product).And.Empty);
    }

    [Test]
    public void Separators_inside_values_do_not_collide_with_another_split()
    {
        Assert.Multiple(() =>
        {
            Assert.That(KeyOf("""{"options":{"a":"b;c=d"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"a":"b","c":"d"}}""")));
            Assert.That(KeyOf("""{"options":{"a=b":"c"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"a":"b=c"}}""")));
            Assert.That(KeyOf("""{"options":{"a":"b;c"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"a":"b","c":""}}""")));
            Assert.That(KeyOf("""{"options":{"a;b":"c"}}"""), Is.Not.EqualTo(KeyOf("""{"options":{"a":"","b":"c"}}""")));
        });
    }
}
